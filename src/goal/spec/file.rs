//! The goal spec file's YAML shape, before it is checked.

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SpecFile {
    #[serde(deserialize_with = "crate::goal::yaml_input::text_only")]
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

/// A `verify` entry: a command, or `{run: COMMAND, timeout: 5m}` (any
/// other key is an error at its place, such as a misspelt `timout`).
pub(super) enum VerifyFile {
    Command(String),
    Detailed {
        run: String,
        timeout: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyDetailed {
    #[serde(deserialize_with = "crate::goal::yaml_input::text_only")]
    run: String,
    #[serde(default)]
    timeout: Option<String>,
}

impl<'de> Deserialize<'de> for VerifyFile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entry;
        impl<'de> serde::de::Visitor<'de> for Entry {
            type Value = VerifyFile;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a command (text) or `{run: COMMAND, timeout: 5m}`; quote a command that \
                     YAML would read as something else, e.g. 'true'",
                )
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<VerifyFile, E> {
                Ok(VerifyFile::Command(text.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<VerifyFile, A::Error> {
                let detailed =
                    VerifyDetailed::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(VerifyFile::Detailed {
                    run: detailed.run,
                    timeout: detailed.timeout,
                })
            }
        }
        deserializer.deserialize_any(Entry)
    }
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
