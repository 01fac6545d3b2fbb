//! The citation-marker grammar, shared by the constraint that keeps a model's markers honest
//! while it generates ([`crate::engine::MarkerConstraint`]) and the parser that reads them back
//! ([`crate::answer::citations`]).
//!
//! A passage's label is a letter code and a number (`P3`: [`label`]). A marker is a label in
//! square brackets written after the sentence it supports: `[P3]`. Parsing also accepts several
//! labels in one marker, separated by a comma or semicolon (`[P1, P3]`), with a body of at most
//! [`MAX_BODY`] bytes; a label there is 1–2 ASCII letters then 1–3 digits ([`is_label`]). The
//! constraint is stricter: inside a marker only `allowed label` + `]` may follow the `[`, so a
//! constrained model writes one known label per marker.

/// Opens a marker.
pub const OPEN: char = '[';
/// Closes a marker.
pub const CLOSE: char = ']';
/// Separate labels inside one marker (`[P1, P3]`).
pub const SEPARATORS: [char; 2] = [',', ';'];
/// Longest marker body the parser looks at, in bytes (from after `[` to before `]`).
pub const MAX_BODY: usize = 40;

/// The label of the `n`th passage given to the model (1-based): `P1`, `P2`, …
pub fn label(n: usize) -> String {
    format!("P{n}")
}

/// The marker citing one label: `[P3]`.
pub fn marker(label: &str) -> String {
    format!("{OPEN}{label}{CLOSE}")
}

/// What must follow the `[` for a marker citing `label`: `P3]`.
pub fn closing(label: &str) -> String {
    format!("{label}{CLOSE}")
}

/// Whether bracket content looks like a passage label (`P3`, `X12`).
pub fn is_label(s: &str) -> bool {
    let letters = s.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    let digits = s[letters..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    (1..=2).contains(&letters) && (1..=3).contains(&digits) && letters + digits == s.len()
}

/// The labels inside a marker body (between `[` and `]`), or `None` when it is not a marker.
pub fn labels(body: &str) -> Option<Vec<String>> {
    let labels: Vec<String> = body
        .split(SEPARATORS)
        .map(|l| l.trim().to_string())
        .collect();
    labels.iter().all(|l| is_label(l)).then_some(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_markers() {
        assert_eq!(marker(&label(3)), "[P3]");
        assert_eq!(closing("P3"), "P3]");
        assert!(is_label("P3") && is_label("XY123"));
        assert!(!is_label("P") && !is_label("3") && !is_label("P1234") && !is_label("사진"));
        assert_eq!(
            labels("P1, P2;P3"),
            Some(vec!["P1".into(), "P2".into(), "P3".into()])
        );
        assert_eq!(labels("P1, 사진"), None);
    }
}
