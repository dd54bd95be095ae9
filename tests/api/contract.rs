//! `docs/openapi.yaml` states the same field rules as the domain: checked here, character
//! by character, so that the document (and the fuzzing that trusts it) cannot drift.

use tasks::domain::Title;

const OPENAPI: &str = include_str!("../../docs/openapi.yaml");

/// A character class of every `char` that `member` accepts, as YAML double-quoted
/// escapes (`\uXXXX`, `\UXXXXXXXX` outside the Basic Multilingual Plane).
fn yaml_class(member: impl Fn(char) -> bool) -> String {
    fn escape(c: u32) -> String {
        if c <= 0xFFFF {
            format!("\\u{c:04x}")
        } else {
            format!("\\U{c:08x}")
        }
    }
    let mut class = String::new();
    let mut range: Option<(u32, u32)> = None;
    let close = |range: Option<(u32, u32)>, class: &mut String| match range {
        Some((first, last)) if first == last => class.push_str(&escape(first)),
        Some((first, last)) => class.push_str(&format!("{}-{}", escape(first), escape(last))),
        None => {}
    };
    for code in 0..=0x10FFFF_u32 {
        let inside = char::from_u32(code).is_some_and(&member);
        range = match (range, inside) {
            (Some((first, last)), true) if last + 1 == code => Some((first, code)),
            (open, true) => {
                close(open, &mut class);
                Some((code, code))
            }
            (open, false) => {
                close(open, &mut class);
                None
            }
        };
    }
    close(range, &mut class);
    class
}

#[test]
fn openapi_title_pattern_refuses_exactly_what_the_domain_refuses() {
    let space = yaml_class(char::is_whitespace);
    let refused = yaml_class(Title::is_refused);
    // Surrounding white space (trimmed), then 1 to 200 characters that hold nothing the
    // domain refuses, the first and last of them not white space.
    let pattern = format!(
        "pattern: \"^[{space}]*[^{space}{refused}](?:[^{refused}]{{0,198}}[^{space}{refused}])?[{space}]*$\""
    );
    assert!(
        OPENAPI.contains(&pattern),
        "docs/openapi.yaml's Title must have:\n      {pattern}"
    );
}

#[test]
fn openapi_description_pattern_refuses_nul() {
    assert!(OPENAPI.contains(r#"pattern: "^[^\u0000]*$""#));
}
