//! The goal spec file's YAML shape, before it is checked.

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SpecFile {
    pub(super) objective: String,
    #[serde(default)]
    pub(super) behavior: OneOrMany,
    #[serde(default)]
    pub(super) scope: OneOrMany,
    #[serde(default)]
    pub(super) verify: Vec<VerifyFile>,
    #[serde(default)]
    pub(super) evidence: OneOrMany,
    #[serde(default)]
    pub(super) stop: StopFile,
    #[serde(default)]
    pub(super) protect: OneOrMany,
    #[serde(default)]
    pub(super) agent: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(super) fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
        .into_iter()
        .map(|item| item.trim().to_string())
        .filter(|item| !item.is_empty())
        .collect()
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum VerifyFile {
    Command(String),
    Detailed {
        run: String,
        #[serde(default)]
        timeout: Option<String>,
    },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct StopFile {
    #[serde(default)]
    pub(super) tokens: Option<Scalar>,
    #[serde(default)]
    pub(super) time: Option<String>,
    #[serde(default)]
    pub(super) turns: Option<u32>,
    #[serde(default)]
    pub(super) cost: Option<f64>,
    #[serde(default)]
    pub(super) usd_per_million_tokens: Option<f64>,
    #[serde(default)]
    pub(super) quota: Option<Scalar>,
    pub(super) stall_turns: Option<u32>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Scalar {
    Number(u64),
    Text(String),
}
