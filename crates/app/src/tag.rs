//! A record's state as a GOV.UK tag shows it: its code, its words and its colour. Every
//! workflow's state becomes one (`From` beside each stage's use cases).

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StateTag {
    /// The state's code, as the API and the records use it.
    pub code: String,
    pub label: String,
    /// The GOV.UK tag colour class suffix.
    pub colour: String,
}

impl StateTag {
    pub fn new(code: &str, label: &str, colour: &str) -> StateTag {
        StateTag {
            code: code.into(),
            label: label.into(),
            colour: colour.into(),
        }
    }
}
