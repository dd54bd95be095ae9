//! `nextToken`: where a listing resumes, signed so that it is bound to the caller, the scope
//! and the filter that produced it. An altered or forged token, or one replayed by another
//! caller or with another scope or filter, fails verification.
//!
//! The signature protects integrity, not secrecy: the payload (the last task's `createdAt`
//! and id) is the caller's own data. And even a valid token can never reach another
//! caller's tasks, because the store derives the query's partition from the caller.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::domain::{Scope, Status, TaskId, Timestamp, UserId};
use crate::store::PageCursor;

/// Longer than any token we issue; anything longer is refused before decoding.
const MAX_TOKEN_LEN: usize = 256;
const CONTEXT: &[u8] = b"task-api/page-token/v1";

/// What a token is bound to: whose listing, of which scope, with which status filter.
#[derive(Clone, Copy, Debug)]
pub struct Listing<'a> {
    pub caller: &'a UserId,
    pub scope: Scope,
    pub status: Option<Status>,
}

#[derive(Clone)]
pub struct PageTokenSigner {
    key: Vec<u8>,
}

impl PageTokenSigner {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, listing: &Listing<'_>, payload: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        let parts = [
            CONTEXT,
            listing.caller.as_str().as_bytes(),
            listing.status.map_or("", Status::as_str).as_bytes(),
            payload,
        ];
        // The scope is a part only when it is not the default, so that the tokens of the
        // owned listing, issued before scopes existed, still verify.
        let scope = (listing.scope != Scope::Owned).then_some(listing.scope.as_str().as_bytes());
        crate::digest::feed(&mut mac, parts.into_iter().chain(scope));
        mac
    }

    pub fn sign(&self, listing: &Listing<'_>, cursor: &PageCursor) -> String {
        let payload = format!("{}|{}", cursor.created_at, cursor.task_id);
        let tag = self
            .mac(listing, payload.as_bytes())
            .finalize()
            .into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The cursor inside a token of this listing; `None` otherwise.
    pub fn verify(&self, listing: &Listing<'_>, token: &str) -> Option<PageCursor> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let (payload, tag) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(listing, &payload).verify_slice(&tag).ok()?;
        let (created_at, task_id) = std::str::from_utf8(&payload).ok()?.split_once('|')?;
        Some(PageCursor {
            created_at: Timestamp::parse(created_at).ok()?,
            task_id: TaskId::parse(task_id).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> PageCursor {
        PageCursor {
            created_at: Timestamp::parse("2025-09-29T10:00:00.000Z").unwrap(),
            task_id: TaskId::parse("2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b").unwrap(),
        }
    }

    fn alice() -> UserId {
        UserId::parse("alice").unwrap()
    }

    fn owned(caller: &UserId, status: Option<Status>) -> Listing<'_> {
        Listing {
            caller,
            scope: Scope::Owned,
            status,
        }
    }

    fn signer() -> PageTokenSigner {
        PageTokenSigner::new(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn a_token_verifies_for_the_same_caller_and_filter() {
        let token = signer().sign(&owned(&alice(), Some(Status::Pending)), &cursor());
        assert_eq!(
            signer().verify(&owned(&alice(), Some(Status::Pending)), &token),
            Some(cursor())
        );
    }

    #[test]
    fn a_token_is_refused_for_another_caller_filter_or_key() {
        let token = signer().sign(&owned(&alice(), None), &cursor());
        let bob = UserId::parse("bob").unwrap();
        assert_eq!(signer().verify(&owned(&bob, None), &token), None);
        assert_eq!(
            signer().verify(&owned(&alice(), Some(Status::Completed)), &token),
            None
        );
        let other_key = PageTokenSigner::new(b"another key of thirty-two bytes!");
        assert_eq!(other_key.verify(&owned(&alice(), None), &token), None);
    }

    #[test]
    fn an_altered_or_forged_token_is_refused() {
        let token = signer().sign(&owned(&alice(), None), &cursor());
        let (payload, tag) = token.split_once('.').unwrap();
        let forged_payload =
            URL_SAFE_NO_PAD.encode("2030-01-01T00:00:00.000Z|2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b");
        for bad in [
            format!("{forged_payload}.{tag}"),
            format!("{payload}.{}", URL_SAFE_NO_PAD.encode([0u8; 32])),
            format!("{payload}x.{tag}"),
            payload.to_string(),
            "".to_string(),
            "!!!.???".to_string(),
            "a".repeat(1000),
        ] {
            assert_eq!(signer().verify(&owned(&alice(), None), &bad), None, "{bad}");
        }
    }

    #[test]
    fn a_token_is_bound_to_its_scope() {
        let alice = alice();
        let assigned = Listing {
            scope: Scope::Assigned,
            ..owned(&alice, None)
        };
        let token = signer().sign(&assigned, &cursor());
        assert_eq!(signer().verify(&assigned, &token), Some(cursor()));
        assert_eq!(signer().verify(&owned(&alice, None), &token), None);
        let owned_token = signer().sign(&owned(&alice, None), &cursor());
        assert_eq!(signer().verify(&assigned, &owned_token), None);
    }
}
