//! A fund's eligibility rules as data: each in the fund's own words, with what it refuses
//! that a line can be checked against. A rule with nothing to check is shown, not checked.

use serde::{Deserialize, Serialize};

use super::ProposalLine;

/// Something a rule refuses that the product can see on a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "refuses", rename_all = "snake_case")]
pub enum Restriction {
    /// Paying for police officer posts (the line declares it).
    PoliceOfficerPosts,
    /// Paying an organisation — known by its record (e.g. the Metropolitan Police Service),
    /// and by the other names people write for it (“MPS”, “the Met”).
    PaymentsTo {
        organisation_id: i64,
        organisation: String,
        #[serde(default)]
        also_known_as: Vec<String>,
    },
}

/// One eligibility rule: the fund's words, and what they refuse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityRule {
    pub words: String,
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
}

impl EligibilityRule {
    /// A rule that is shown to everyone but not machine-checked.
    pub fn statement(words: &str) -> EligibilityRule {
        EligibilityRule {
            words: words.trim().to_string(),
            restrictions: Vec::new(),
        }
    }

    /// Why `line` breaks this rule, if it does (completing “…, and …”).
    pub fn breach(&self, line: &ProposalLine) -> Option<String> {
        self.restrictions.iter().find_map(|r| match r {
            Restriction::PoliceOfficerPosts if line.police_posts => {
                Some("it declares police officer posts".to_string())
            }
            Restriction::PaymentsTo {
                organisation,
                also_known_as,
                ..
            } => line
                .providers
                .iter()
                .find(|p| {
                    let name = p.name.trim();
                    name.eq_ignore_ascii_case(organisation.trim())
                        || also_known_as
                            .iter()
                            .any(|a| name.eq_ignore_ascii_case(a.trim()))
                })
                .map(|_| format!("its provider is the {}", organisation.trim())),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proposal::{LineNumber, Provider};

    fn mps_rule() -> EligibilityRule {
        EligibilityRule {
            words: "Cannot fund MPS or buy police officers.".into(),
            restrictions: vec![
                Restriction::PoliceOfficerPosts,
                Restriction::PaymentsTo {
                    organisation_id: 2,
                    organisation: "Metropolitan Police Service".into(),
                    also_known_as: vec!["MPS".into(), "The Met".into()],
                },
            ],
        }
    }

    fn line_by(provider: &str) -> ProposalLine {
        let mut l = ProposalLine::new(LineNumber::new(1, 1), "P", &[]);
        l.providers.push(Provider {
            name: provider.into(),
            ..Default::default()
        });
        l
    }

    #[test]
    fn the_mps_is_known_by_its_organisation_not_by_words_in_a_name() {
        let rule = mps_rule();
        for name in ["Metropolitan Police Service", "mps", " The Met "] {
            assert_eq!(
                rule.breach(&line_by(name)).as_deref(),
                Some("its provider is the Metropolitan Police Service"),
                "{name}"
            );
        }
        // A charity whose name mentions the police is not the MPS.
        assert_eq!(
            rule.breach(&line_by("Friends of the Metropolitan Police Museum")),
            None
        );
        let mut posts = line_by("St Giles Trust");
        posts.police_posts = true;
        assert_eq!(
            rule.breach(&posts).as_deref(),
            Some("it declares police officer posts")
        );
        assert_eq!(
            EligibilityRule::statement("No capital spend").breach(&posts),
            None
        );
    }
}
