//! "Did you mean" for misspelled keys and profile names.

/// The candidate closest to `input`, if any is close enough to be a plausible typo.
///
/// Jaro-Winkler favours shared prefixes, which matches how keys are mistyped (`replica`,
/// `replicaz`); the threshold keeps unrelated names from being suggested.
pub(crate) fn nearest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lowered = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (c, strsim::jaro_winkler(&lowered, &c.to_ascii_lowercase())))
        .filter(|(_, score)| *score >= 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn suggests_the_closest_key_for_a_typo() {
        assert_eq!(nearest("replicaz", ["replicas", "strategy"]), Some("replicas"));
        assert_eq!(nearest("maildomian", ["maildomain", "relayhost"]), Some("maildomain"));
    }

    #[test]
    fn case_differences_still_match() {
        assert_eq!(nearest("smtp_server", ["SMTP_SERVER", "SMTP_PORT"]), Some("SMTP_SERVER"));
    }

    #[test]
    fn unrelated_input_gets_no_suggestion() {
        assert_eq!(nearest("zzz", ["replicas", "strategy"]), None);
    }
}
