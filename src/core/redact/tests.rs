use super::*;

const CORPUS: &str = include_str!("../../../tests/fixtures/secrets/corpus.tsv");
const PEM: &str = include_str!("../../../tests/fixtures/secrets/private_key.pem");

fn corpus() -> Vec<(&'static str, &'static str)> {
    CORPUS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split_once('\t').expect("label<TAB>secret"))
        .collect()
}

#[test]
fn every_secret_of_the_corpus_is_replaced_by_its_label() {
    let redactor = Redactor::new();
    let corpus = corpus();
    assert!(corpus.len() >= 8);
    for (label, secret) in corpus {
        let text = format!("the key is {secret}, keep it safe");
        let clean = redactor.redact(&text);
        assert_eq!(
            clean,
            format!("the key is [redacted:{label}], keep it safe"),
            "{secret}"
        );
    }
}

#[test]
fn a_private_key_block_is_hidden_whole_and_a_cut_one_to_the_end() {
    let redactor = Redactor::new();
    let text = format!("before\n{PEM}after");
    let clean = redactor.redact(&text);
    assert_eq!(clean, "before\n[redacted:private-key]\nafter");
    let cut = &PEM[..PEM.len() / 2];
    let clean = redactor.redact(cut);
    assert_eq!(clean, "[redacted:private-key]");
}

#[test]
fn secret_variables_are_hidden_by_value_and_others_are_not() {
    let redactor = Redactor::from_vars([
        ("MY_SERVICE_TOKEN", "tok-1234567890"),
        ("db_password", "hunter22hunter22"),
        ("API_KEY_SHORT", "abc"),
        ("HOME", "/root/some/where"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
    ]);
    assert_eq!(redactor.secret_values(), 3);
    let clean = redactor.redact(
        "tok-1234567890 and hunter22hunter22 and abc at /root/some/where: \
         wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    assert_eq!(
        clean,
        "[redacted:env:MY_SERVICE_TOKEN] and [redacted:env:db_password] and abc at \
         /root/some/where: [redacted:env:AWS_SECRET_ACCESS_KEY]"
    );
}

#[test]
fn ordinary_text_is_left_alone_and_borrowed() {
    let redactor = Redactor::from_vars([("OPENAI_API_KEY", "sk-test-0123456789")]);
    for text in [
        "task-force: risk-free sk- prefix alone, sk-short, AKIA too short",
        "ghp_ short; xoxb- none; -----BEGIN PUBLIC KEY----- is public",
        "",
    ] {
        assert!(matches!(redactor.redact(text), Cow::Borrowed(_)), "{text}");
    }
}

#[test]
fn json_strings_and_keys_are_redacted_in_place() {
    let redactor = Redactor::new();
    let (_, secret) = corpus()[0];
    let mut value = serde_json::json!({
        "reply": format!("here: {secret}"),
        "nested": [{"x": secret}, 42, null],
        secret: true,
    });
    assert!(redactor.redact_json(&mut value));
    let text = value.to_string();
    assert!(!text.contains(secret), "{text}");
    assert_eq!(value["nested"][0]["x"], "[redacted:openai-key]");
    assert_eq!(value["nested"][1], 42);
    let mut clean = serde_json::json!({"a": "b"});
    assert!(!redactor.redact_json(&mut clean));
}
