//! Text from a file people made in a spreadsheet program.
//!
//! Excel on Windows saves "CSV" in Windows-1252 and "CSV UTF-8" with a byte-order mark; both
//! are common in the boroughs. A file that is valid UTF-8 is read as UTF-8 (the mark dropped);
//! any other file is read as Windows-1252, which gives every byte a character, so `£` and
//! curly quotes from Excel arrive intact instead of failing the whole file.

/// The text of an uploaded or local CSV file.
pub fn spreadsheet_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_text;

    #[test]
    fn utf8_with_and_without_a_byte_order_mark() {
        assert_eq!(spreadsheet_text("area,£\n".as_bytes()), "area,£\n");
        assert_eq!(spreadsheet_text(b"\xEF\xBB\xBFarea\n"), "area\n");
    }

    #[test]
    fn windows_1252_from_excel() {
        // "£1,000 – Barking" as Excel on Windows writes it: £ is A3, the dash is 96.
        assert_eq!(
            spreadsheet_text(b"\xA31,000 \x96 Barking"),
            "£1,000 – Barking"
        );
    }
}
