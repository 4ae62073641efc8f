// The schema of migrations/{sqlite,postgres}, identical for both backends.

diesel::table! {
    clients (id) {
        id -> Text,
        name -> Text,
        secret_hash -> Nullable<Text>,
        grant_types -> Text,
        scope -> Text,
        created_at -> BigInt,
        redirect_uris -> Text,
        post_logout_redirect_uris -> Text,
        backchannel_logout_uri -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        created_at -> BigInt,
        email -> Nullable<Text>,
        email_verified -> Bool,
        name -> Nullable<Text>,
        disabled_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    grants (id) {
        id -> Text,
        client_id -> Text,
        subject -> Text,
        scope -> Text,
        created_at -> BigInt,
        access_expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        session_id -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        grant_id -> Text,
        issued_at -> BigInt,
        expires_at -> BigInt,
        rotated_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    revoked_access_tokens (jti) {
        jti -> Text,
        client_id -> Text,
        expires_at -> BigInt,
        revoked_at -> BigInt,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        algorithm -> Text,
        private_key -> Text,
        public_jwk -> Text,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        token_hash -> Text,
        user_id -> Text,
        auth_time -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
        ended_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    authorization_codes (code_hash) {
        code_hash -> Text,
        client_id -> Text,
        redirect_uri -> Text,
        scope -> Text,
        code_challenge -> Nullable<Text>,
        nonce -> Nullable<Text>,
        session_id -> Text,
        user_id -> Text,
        auth_time -> BigInt,
        issued_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        grant_id -> Nullable<Text>,
    }
}

diesel::table! {
    revocation_cutoffs (kind, id) {
        kind -> Text,
        id -> Text,
        cutoff -> BigInt,
        until -> BigInt,
    }
}

diesel::table! {
    password_history (user_id, password_hash) {
        user_id -> Text,
        password_hash -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    password_resets (code_hash) {
        code_hash -> Text,
        user_id -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> BigInt,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        action -> Text,
        user_id -> Nullable<Text>,
        client_id -> Nullable<Text>,
        target -> Nullable<Text>,
        address -> Nullable<Text>,
        outcome -> Text,
        reason -> Nullable<Text>,
    }
}

diesel::joinable!(refresh_tokens -> grants (grant_id));
diesel::allow_tables_to_appear_in_same_query!(
    clients,
    users,
    grants,
    refresh_tokens,
    revoked_access_tokens,
    signing_keys,
    sessions,
    authorization_codes,
    revocation_cutoffs,
    password_history,
    password_resets,
    audit_log,
);
