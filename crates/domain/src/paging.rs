//! Keyset paging of a user's sessions and grants (the admin API, the CLI): a page is the
//! next `limit` items in id order after the id `after`, so it costs the same however far
//! in it is, and items created meanwhile never shift a page.

use crate::input::is_client_id;

/// Items per page when the caller does not say.
pub const DEFAULT_ACTIVITY_PAGE: usize = 100;
/// Most items per page.
pub const MAX_ACTIVITY_PAGE: usize = 1000;

/// A validated page request: `limit` in 1 to [`MAX_ACTIVITY_PAGE`], `after` an id that
/// could have ended a previous page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    limit: usize,
    after: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("limit must be 1 to 1000")]
    InvalidLimit,
    /// Not an id: no page ever ended with it.
    #[error("after must be the next of a previous page")]
    InvalidCursor,
}

impl PageError {
    /// The sentence a caller is told.
    pub fn detail(self) -> &'static str {
        match self {
            PageError::InvalidLimit => "limit must be 1 to 1000",
            PageError::InvalidCursor => "after must be the next of a previous page",
        }
    }
}

impl PageRequest {
    /// `limit` defaults to [`DEFAULT_ACTIVITY_PAGE`]; an empty `after` is as if absent.
    pub fn new(limit: Option<usize>, after: Option<&str>) -> Result<PageRequest, PageError> {
        let limit = limit.unwrap_or(DEFAULT_ACTIVITY_PAGE);
        if !(1..=MAX_ACTIVITY_PAGE).contains(&limit) {
            return Err(PageError::InvalidLimit);
        }
        let after = after.filter(|after| !after.is_empty());
        // An id the store could not hold (a NUL, which Postgres refuses) never reaches it.
        if after.is_some_and(|after| !is_client_id(after)) {
            return Err(PageError::InvalidCursor);
        }
        Ok(PageRequest {
            limit,
            after: after.map(str::to_owned),
        })
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// What to ask the store for: one more than the page, whose presence says whether
    /// there is a next page.
    pub(crate) fn fetch(&self) -> usize {
        self.limit + 1
    }

    /// The page out of what the store returned for [`fetch`](Self::fetch) items: at most
    /// `limit`, and the id of the last one as `next` if more followed.
    pub(crate) fn page<T>(&self, mut items: Vec<T>, id: impl Fn(&T) -> &str) -> Page<T> {
        let next = if items.len() > self.limit {
            items.truncate(self.limit);
            items.last().map(|item| id(item).to_owned())
        } else {
            None
        };
        Page { items, next }
    }
}

/// One page: `next` is the `after` of the following page, `None` on the last one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors_are_checked() {
        let default = PageRequest::new(None, Some("")).expect("defaults");
        assert_eq!(default.limit(), DEFAULT_ACTIVITY_PAGE);
        assert_eq!(default.after(), None);
        assert_eq!(
            PageRequest::new(Some(1000), None).expect("max").limit(),
            1000
        );
        for bad in [0, 1001, usize::MAX] {
            assert_eq!(
                PageRequest::new(Some(bad), None),
                Err(PageError::InvalidLimit)
            );
        }
        for bad in ["a\0b", "é", &"x".repeat(257)] {
            assert_eq!(
                PageRequest::new(None, Some(bad)),
                Err(PageError::InvalidCursor),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_page_names_its_next_only_when_more_follow() {
        let request = PageRequest::new(Some(2), None).expect("valid");
        assert_eq!(request.fetch(), 3);
        let ids = |v: &[&'static str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let full = request.page(ids(&["a", "b", "c"]), |s| s.as_str());
        assert_eq!(full.items, ids(&["a", "b"]));
        assert_eq!(full.next.as_deref(), Some("b"));
        let last = request.page(ids(&["a", "b"]), |s| s.as_str());
        assert_eq!(last.next, None);
        assert_eq!(last.items.len(), 2);
    }
}
