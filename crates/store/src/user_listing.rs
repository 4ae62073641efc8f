//! A page of users: keyset paging by id and a username prefix search, both on indexes, so
//! a page costs the same with a million users as with ten.
//!
//! The prefix is a byte-order range, `prefix <= username < successor(prefix)`: every
//! string with the prefix sorts inside it and nothing else does. SQLite compares text as
//! bytes (BINARY), and its UNIQUE index on username serves the range. Postgres compares in
//! the database's collation, whose order is not byte order, so the range says
//! `COLLATE "C"` and has an index of its own (migrations/postgres/…_account_lifecycle).

use ciam_domain::{StoreError, User, UserQuery};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::connection::AnyConnection;
use crate::error::store_error;
use crate::rows::UserRow;

const COLUMNS: &str =
    "id, username, password_hash, created_at, email, email_verified, name, disabled_at";

pub(crate) fn list_users(
    conn: &mut AnyConnection,
    query: &UserQuery,
) -> Result<Vec<User>, StoreError> {
    let collate = match conn {
        AnyConnection::Postgres(_) => " COLLATE \"C\"",
        AnyConnection::Sqlite(_) => "",
    };
    let mut sql = format!("SELECT {COLUMNS} FROM users WHERE 1 = 1");
    let mut binds: Vec<String> = vec![];
    let placeholder = |binds: &mut Vec<String>, value: String| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(after) = &query.after {
        let p = placeholder(&mut binds, after.as_str().to_owned());
        sql.push_str(&format!(" AND id > {p}"));
    }
    if let Some(prefix) = &query.username_prefix {
        let p = placeholder(&mut binds, prefix.clone());
        sql.push_str(&format!(" AND username{collate} >= {p}"));
        if let Some(end) = successor(prefix) {
            let p = placeholder(&mut binds, end);
            sql.push_str(&format!(" AND username{collate} < {p}"));
        }
    }
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    sql.push_str(&format!(" ORDER BY id LIMIT ${}", binds.len() + 1));
    let mut statement = diesel::sql_query(sql).into_boxed();
    for value in binds {
        statement = statement.bind::<Text, _>(value);
    }
    let rows: Vec<UserRow> = statement
        .bind::<BigInt, _>(limit)
        .load(conn)
        .map_err(store_error)?;
    Ok(rows.into_iter().map(User::from).collect())
}

/// The least string greater than every string that starts with `prefix`, in byte order
/// (which, for UTF-8, is code point order): the prefix with its last character raised by
/// one, after dropping trailing U+10FFFF, which cannot be raised. `None` if nothing is left:
/// then every string from `prefix` on starts with it.
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match u32::from(last) + 1 {
            // The surrogates are not characters: the next one after U+D7FF is U+E000.
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::successor;

    #[test]
    fn the_successor_bounds_exactly_the_strings_with_the_prefix() {
        assert_eq!(successor("ab").as_deref(), Some("ac"));
        assert_eq!(successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor("\u{10FFFF}"), None);
        let prefix = "al";
        let end = successor(prefix).expect("one");
        for inside in ["al", "alice", "al\u{10FFFF}", "al~"] {
            assert!(inside >= prefix && inside < end.as_str(), "{inside}");
        }
        for outside in ["ak", "am", "a", "b", "Al"] {
            assert!(!(outside >= prefix && outside < end.as_str()), "{outside}");
        }
    }
}
