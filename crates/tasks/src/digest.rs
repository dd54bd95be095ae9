//! Length-prefixed hashing, the one way this crate hashes several values together: each
//! part is preceded by its length, so no two different lists of parts feed the same bytes.

use sha2::digest::Update;
use sha2::{Digest, Sha256};

/// Feeds `parts` to any hasher or MAC, each behind its length as 8 big-endian bytes.
pub(crate) fn feed<'a>(hasher: &mut impl Update, parts: impl IntoIterator<Item = &'a [u8]>) {
    for part in parts {
        hasher.update(&(part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
}

/// SHA-256 of the length-prefixed parts, in lowercase hex.
pub(crate) fn hex_sha256<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut hasher = Sha256::new();
    feed(&mut hasher, parts);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_a_byte_between_parts_changes_the_hash() {
        let ab_c = hex_sha256([b"ab".as_slice(), b"c"]);
        let a_bc = hex_sha256([b"a".as_slice(), b"bc"]);
        assert_ne!(ab_c, a_bc);
        assert_eq!(ab_c.len(), 64);
        assert_eq!(ab_c, hex_sha256([b"ab".as_slice(), b"c"]));
    }
}
