//! Bearer credential formats. Each names the row it belongs to, so checking one is a primary-key
//! lookup (with the tenant in scope) plus a constant-time digest comparison:
//!
//! - operator session: `kdo_<session>_<secret>`
//! - staff session:    `kds_<tenant>_<session>_<secret>`
//! - API key:          `kdk_<tenant>_<key>_<secret>`
//! - customer session: `kdc_<tenant>_<session>_<secret>`
//!
//! Ids are 32 hex digits; the secret is 32 random bytes, base64url.

use kernel::TenantId;
use uuid::Uuid;

const SECRET_BYTES: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    Operator,
    Staff,
    ApiKey,
    Customer,
}

impl CredentialKind {
    fn prefix(self) -> &'static str {
        match self {
            CredentialKind::Operator => "kdo",
            CredentialKind::Staff => "kds",
            CredentialKind::ApiKey => "kdk",
            CredentialKind::Customer => "kdc",
        }
    }
}

/// A parsed credential: which row, and the secret to check against its digest.
#[derive(Debug)]
pub struct Credential {
    pub tenant: Option<TenantId>,
    pub id: Uuid,
    pub secret: String,
}

/// A new credential and its secret's digest (what is stored).
pub fn issue(kind: CredentialKind, tenant: Option<TenantId>, id: Uuid) -> (String, String) {
    let secret = crate::token::random_secret(SECRET_BYTES);
    let digest = crate::token::digest(&secret);
    let token = match tenant {
        Some(tenant) => format!(
            "{}_{}_{}_{secret}",
            kind.prefix(),
            tenant.simple(),
            id.simple()
        ),
        None => format!("{}_{}_{secret}", kind.prefix(), id.simple()),
    };
    (token, digest)
}

/// Which kind a presented token claims to be, if any.
pub fn kind_of(token: &str) -> Option<CredentialKind> {
    [
        CredentialKind::Operator,
        CredentialKind::Staff,
        CredentialKind::ApiKey,
    ]
    .into_iter()
    .find(|kind| token.starts_with(kind.prefix()) && token.as_bytes().get(3) == Some(&b'_'))
}

pub fn parse(token: &str, kind: CredentialKind) -> Option<Credential> {
    let rest = token.strip_prefix(kind.prefix())?.strip_prefix('_')?;
    let (tenant, rest) = match kind {
        CredentialKind::Operator => (None, rest),
        CredentialKind::Staff | CredentialKind::ApiKey | CredentialKind::Customer => {
            let (tenant, rest) = rest.split_once('_')?;
            (Some(TenantId::parse(tenant)?), rest)
        }
    };
    let (id, secret) = rest.split_once('_')?;
    if secret.len() < 40 || secret.len() > 64 {
        return None;
    }
    Some(Credential {
        tenant,
        id: Uuid::parse_str(id).ok()?,
        secret: secret.to_owned(),
    })
}

impl Credential {
    pub fn matches(&self, stored_digest: &str) -> bool {
        crate::token::digests_match(&crate::token::digest(&self.secret), stored_digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_staff_token_parses_back_and_matches_its_digest() {
        let tenant = TenantId::new();
        let id = kernel::new_id();
        let (token, digest) = issue(CredentialKind::Staff, Some(tenant), id);
        assert_eq!(kind_of(&token), Some(CredentialKind::Staff));
        let parsed = parse(&token, CredentialKind::Staff);
        assert!(
            parsed
                .as_ref()
                .is_some_and(|c| c.tenant == Some(tenant) && c.id == id)
        );
        assert!(parsed.is_some_and(|c| c.matches(&digest)));
    }

    #[test]
    fn tokens_of_another_kind_or_shape_do_not_parse() {
        let (token, _) = issue(CredentialKind::Operator, None, kernel::new_id());
        assert!(parse(&token, CredentialKind::Staff).is_none());
        assert!(parse(&token, CredentialKind::Operator).is_some());
        assert!(parse("kds_garbage", CredentialKind::Staff).is_none());
        assert!(parse("", CredentialKind::ApiKey).is_none());
        assert_eq!(kind_of("Bearer x"), None);
    }

    #[test]
    fn a_forged_secret_does_not_match() {
        let (token, digest) = issue(
            CredentialKind::ApiKey,
            Some(TenantId::new()),
            kernel::new_id(),
        );
        let mut forged = token.clone();
        forged.pop();
        forged.push(if token.ends_with('A') { 'B' } else { 'A' });
        let parsed = parse(&forged, CredentialKind::ApiKey);
        assert!(parsed.is_some_and(|c| !c.matches(&digest)));
    }
}
