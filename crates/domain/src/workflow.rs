//! What every workflow (proposals, bids, grants, claims) shares: its table of moves as the
//! docs show it, and finding that table in a doc so a test keeps the two in step.

/// The moves as a Markdown table: a header, then one row per move.
pub fn table<const N: usize>(
    header: [&str; N],
    rows: impl IntoIterator<Item = [&'static str; N]>,
) -> String {
    let mut out = format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(N));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

/// The table a doc shows between its `<!-- moves -->` and `<!-- /moves -->` markers.
pub fn documented(doc: &str) -> Option<&str> {
    doc.split_once("<!-- moves -->\n")
        .and_then(|(_, rest)| rest.split_once("<!-- /moves -->"))
        .map(|(table, _)| table)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_table_and_its_markers() {
        let t = super::table(["from", "to"], [["a", "b"]]);
        assert_eq!(t, "| from | to |\n|---|---|\n| a | b |\n");
        let doc = format!("Intro\n<!-- moves -->\n{t}<!-- /moves -->\nMore");
        assert_eq!(super::documented(&doc), Some(t.as_str()));
        assert_eq!(super::documented("no markers"), None);
    }
}
