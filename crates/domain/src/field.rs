//! Errors about what a person entered, each tied to the field it concerns.

use serde::Serialize;

/// One problem with one field: which field, and a message that says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// All the problems found with one submission, in the order of the form's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
    }

    /// Runs a parser and records its error against `field`; returns the value if it parsed.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `Ok(())` when nothing was wrong, so callers can write `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    pub fn single(field: &str, message: impl Into<String>) -> FieldErrors {
        let mut e = FieldErrors::new();
        e.add(field, message);
        e
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        write!(f, "{}", parts.join("; "))
    }
}

/// Problems as the domain's rules list them, `(field, message)`, collected into one error.
impl FromIterator<(String, String)> for FieldErrors {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(list: I) -> FieldErrors {
        let mut e = FieldErrors::new();
        for (f, m) in list {
            e.add(&f, m);
        }
        e
    }
}

/// A required piece of text, trimmed, no longer than `max` characters.
pub fn required_text(value: &str, what: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!("Enter {what}"));
    }
    check_text(v, max).map_err(|e| format!("{} {e}", crate::words::capitalise(what)))?;
    Ok(v.to_string())
}

/// The checks every piece of free text gets, on either database: no longer than `max`
/// characters, and no control characters other than tab and line breaks (a NUL byte cannot be
/// stored in PostgreSQL text, and none of them means anything in the fund's records). The
/// error completes a sentence that starts with the field's name.
pub fn check_text(value: &str, max: usize) -> Result<(), String> {
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(format!(
            "must not contain control characters (found U+{:04X}): type or paste plain text",
            u32::from(c)
        ));
    }
    let n = value.chars().count();
    if n > max {
        return Err(format!("must be {max} characters or fewer (it has {n})"));
    }
    Ok(())
}

/// Optional text: empty becomes `None`.
pub fn optional_text(value: &str, what: &str, max: usize) -> Result<Option<String>, String> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        required_text(value, what, max).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_errors_by_field() {
        let mut e = FieldErrors::new();
        assert_eq!(
            e.check("amount", crate::Money::parse("1")),
            Some(crate::Money::from_pounds(1))
        );
        assert_eq!(e.check("amount", crate::Money::parse("x")), None);
        assert!(e.for_field("amount").unwrap().contains("not an amount"));
        assert!(e.clone().into_result().is_err());
        assert!(FieldErrors::new().into_result().is_ok());
    }

    #[test]
    fn text_rules() {
        assert_eq!(
            required_text("  Barnet ", "a name", 10),
            Ok("Barnet".into())
        );
        assert_eq!(required_text(" ", "a name", 10), Err("Enter a name".into()));
        assert_eq!(
            required_text("abcdef", "a name", 3),
            Err("A name must be 3 characters or fewer (it has 6)".into())
        );
        assert_eq!(optional_text("", "a note", 3), Ok(None));
        assert_eq!(
            required_text("a\0b", "a name", 10),
            Err("A name must not contain control characters (found U+0000): type or paste plain text".into())
        );
        assert!(check_text("line one\nline two\ttabbed", 100).is_ok());
        assert_eq!(
            check_text("abcd", 3),
            Err("must be 3 characters or fewer (it has 4)".into())
        );
    }
}
