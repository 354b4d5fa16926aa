//! Lists said the way people say them in the fund's letters and pages.

/// `a`, `a and b`, `a, b and c`.
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    joined(items, "and")
}

/// `a`, `a or b`, `a, b or c`: a choice.
pub fn or_list<S: AsRef<str>>(items: &[S]) -> String {
    joined(items, "or")
}

/// The text with its first letter a capital: the start of a sentence.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `no claims`, `1 claim`, `3 claims`.
pub fn count(n: i64, one: &str, many: &str) -> String {
    match n {
        0 => format!("no {many}"),
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
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
    fn counts_and_sentences() {
        assert_eq!(capitalise(&count(0, "claim", "claims")), "No claims");
        assert_eq!(count(1, "claim", "claims"), "1 claim");
        assert_eq!(count(12, "claim", "claims"), "12 claims");
        assert_eq!(capitalise(""), "");
    }

    #[test]
    fn lists_read_as_words() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(or_list(&["PDF", "CSV", "PNG"]), "PDF, CSV or PNG");
        assert_eq!(and_list(&["2017/18"]), "2017/18");
        assert_eq!(and_list(&["2017/18", "2018/19"]), "2017/18 and 2018/19");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }
}
