//! Lists said the way people say them in the fund's letters and pages.

/// `a`, `a and b`, `a, b and c`.
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    joined(items, "and")
}

/// `a`, `a or b`, `a, b or c`: a choice.
pub fn or_list<S: AsRef<str>>(items: &[S]) -> String {
    joined(items, "or")
}

fn joined<S: AsRef<str>>(items: &[S], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [rest @ .., last] => format!(
            "{} {word} {}",
            rest.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_words() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(or_list(&["PDF", "CSV", "PNG"]), "PDF, CSV or PNG");
        assert_eq!(and_list(&["2017/18"]), "2017/18");
        assert_eq!(and_list(&["2017/18", "2018/19"]), "2017/18 and 2018/19");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }
}
