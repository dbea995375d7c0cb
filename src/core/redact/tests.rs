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

#[test]
fn a_key_wrapped_at_the_right_edge_is_hidden_on_both_rows() {
    let redactor = Redactor::new();
    let key = "sk-Qx7RmT2vLp9WzK4nB8cY3hJ6dF1gA5sE0uIoPa";
    // A 30-column screen: the row ends at the edge with 6 characters of
    // the key (too few for its shape alone), the rest after a hanging indent.
    let first = format!("• The key is: hunter {}", &key[..9]);
    assert_eq!(first.chars().count(), 30);
    let rows = vec![
        first,
        format!("  {} and more", &key[9..]),
        "next line".to_string(),
    ];
    let clean = redactor.redact_rows(&rows, 30);
    assert_eq!(
        clean,
        vec![
            "• The key is: hunter [redacted:openai-key]",
            "   and more",
            "next line"
        ]
    );
    // Each row alone would have kept the key's pieces.
    assert!(redactor.redact(&rows[1]).contains(&key[9..]));
    // Over three rows, and a value of the environment too.
    let redactor = Redactor::from_vars([("DB_PASSWORD", "correct horse battery staple")]);
    let rows = vec![
        "pass: correct hor".to_string(),
        "se battery stapl".to_string(),
        "e, remember it".to_string(),
    ];
    assert_eq!(
        redactor.redact_rows(&rows, 17),
        vec!["pass: [redacted:env:DB_PASSWORD]", "", ", remember it"]
    );
}

#[test]
fn rows_that_end_before_the_edge_are_not_joined() {
    let redactor = Redactor::new();
    let rows = vec![
        "sk-short".to_string(),
        "Qx7RmT2vLp9WzK4nB8cY3hJ6dF1gA5sE0uIoPa".to_string(),
    ];
    assert_eq!(redactor.redact_rows(&rows, 80), rows);
    // A whole key that ends at the edge: a word that follows on the next
    // row could be the key's end, so it is hidden with it; the rest stays.
    let rows = vec![
        "key sk-Qx7RmT2vLp9WzK4nB8cY3hJ6".to_string(),
        "  plain words".to_string(),
    ];
    assert_eq!(
        redactor.redact_rows(&rows, 31),
        vec!["key [redacted:openai-key]", "   words"]
    );
    // A private key block over rows that are lines is hidden whole.
    let mut block = vec!["the key:".to_string()];
    block.extend(PEM.lines().map(String::from));
    block.push("done".to_string());
    let clean = redactor.redact_rows(&block, 80);
    assert_eq!(clean[1], "[redacted:private-key]");
    assert!(
        clean[2..clean.len() - 1].iter().all(String::is_empty),
        "{clean:?}"
    );
    assert_eq!(
        (clean[0].as_str(), clean.last().unwrap().as_str()),
        ("the key:", "done")
    );
    // One that ends before it: the next row is not joined.
    assert_eq!(
        redactor.redact_rows(&rows, 40),
        vec!["key [redacted:openai-key]", "  plain words"]
    );
}

#[test]
fn output_that_may_begin_a_secret_is_held_until_the_rest_comes() {
    let redactor = Redactor::from_vars([("MY_SERVICE_TOKEN", "plain-looking-value-42")]);
    // The PTY's read ended inside a key: from its start it waits.
    let text = "Here is the key: sk-Qx7RmT2v";
    assert_eq!(redactor.hold_from(text), text.find("sk-").unwrap());
    for cut in [
        "Here: s",
        "Here: sk",
        "Here: AKIAIOSF",
        "Here: ghp_R7d",
        "a -----BEG",
    ] {
        assert!(redactor.hold_from(cut) < cut.len(), "{cut}");
    }
    // A variable's value begun.
    let text = "token=plain-look";
    assert_eq!(redactor.hold_from(text), "token=".len());
    // A private key block not yet ended, from its first line.
    let pem = &PEM[..PEM.len() / 2];
    let text = format!("look:\n{pem}");
    assert_eq!(redactor.hold_from(&text), "look:\n".len());
    // Ordinary output is written at once.
    for text in [
        "Working (3s • esc to interrupt)",
        "ran cargo test",
        "",
        "done.\r\n",
    ] {
        assert_eq!(redactor.hold_from(text), text.len(), "{text}");
    }
    // Never more than pieces::MAX_HELD bytes.
    let long = format!("sk-{}", "a".repeat(pieces::MAX_HELD * 2));
    assert_eq!(redactor.hold_from(&long), long.len() - pieces::MAX_HELD);
    // What is held, joined to the rest, is redacted whole.
    let whole = format!(
        "{}{}",
        "Here is the key: sk-Qx7RmT2v", "Lp9WzK4nB8cY3hJ6dF1gA5sE0uIoPa ok"
    );
    assert_eq!(
        redactor.redact(&whole),
        "Here is the key: [redacted:openai-key] ok"
    );
}

#[test]
fn a_secret_variable_is_hidden_as_it_reads_inside_json() {
    let value = "pa\"ss\\wörd-7";
    let redactor = Redactor::from_vars([("SERVICE_PASSWORD", value)]);
    assert_eq!(redactor.secret_values(), 1);
    let marker = "[redacted:env:SERVICE_PASSWORD]";
    let json = serde_json::to_string(&serde_json::json!({ "env": value })).unwrap();
    assert_eq!(json, r#"{"env":"pa\"ss\\wörd-7"}"#);
    for text in [
        value.to_string(),
        json.clone(),
        // Escaped beyond ASCII, as Python's json.dumps writes it, either case.
        r#"{"env":"pa\"ss\\w\u00f6rd-7"}"#.to_string(),
        r#"{"env":"pa\"ss\\w\u00F6rd-7"}"#.to_string(),
        // JSON in a JSON string (a hook's input holding a log line).
        serde_json::to_string(&json).unwrap(),
    ] {
        let clean = redactor.redact(&text);
        assert!(clean.contains(marker), "{text} -> {clean}");
        for piece in ["pa", "ss", "rd-7"] {
            assert!(!clean.contains(&format!("{piece}\\")), "{text} -> {clean}");
        }
        assert!(!clean.contains("rd-7"), "{text} -> {clean}");
    }
}

#[test]
fn a_key_drawn_over_two_rows_is_hidden_in_the_output_and_the_moves_kept() {
    let redactor = Redactor::new();
    let key = "sk-Qx7RmT2vLp9WzK4nB8cY3hJ6dF1gA5sE0uIoPa";
    // As the sim draws a word longer than its row: the row's piece, a move to
    // the next row and an erasure, the hanging indent, the rest.
    let drawn = format!(
        "\x1b[32;1H\x1b[2K\u{2022} The key is {}\x1b[33;1H\x1b[2K  {} as asked.\x1b[34;1H",
        &key[..9],
        &key[9..]
    );
    let clean = redactor.redact_drawn(&drawn);
    assert_eq!(
        clean,
        "\x1b[32;1H\x1b[2K\u{2022} The key is [redacted:openai-key]\x1b[33;1H\x1b[2K   as asked.\x1b[34;1H"
    );
    // Words on rows of their own, and a key in one piece on a line of its
    // own, are left as they are.
    for text in [
        "\x1b[1;1Hdone\x1b[2;1Hnext".to_string(),
        format!("key {key}\r\nplain"),
        String::new(),
    ] {
        assert!(
            matches!(redactor.redact_drawn(&text), Cow::Borrowed(_)),
            "{text:?}"
        );
    }
    // A chunk that ends in a key's piece and a move waits for the next one.
    let chunk = format!("The key is {}\x1b[33;1H\x1b[2", &key[..9]);
    assert_eq!(redactor.hold_from(&chunk), "The key is ".len());
}

#[test]
fn one_pass_over_the_shapes_hides_what_a_pass_for_each_shape_hid() {
    // What `redact` did with one pass per shape, in order.
    let each_shape = |text: &str| {
        let mut out = text.to_string();
        for (pattern, label) in PATTERNS.iter() {
            out = pattern
                .replace_all(&out, format!("[redacted:{label}]").as_str())
                .into_owned();
        }
        out
    };
    let texts = [
        "nothing secret here, only sk- and gh and xox words",
        "key sk-ant-abcdefghijklmnop and sk-proj-abcdefghijkl and sk-abcdefghijklmnopqrst",
        "AKIAABCDEFGHIJKLMNOP then ghp_abcdefghijklmnopqrstuvwx and xoxb-1234567890ab",
        "github_pat_abcdefghijklmnopqrstuvwxyz \"-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----\" sk-ant-xxxxxxxxxxxx",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nnot ended, with sk-abcdefghijklmnopqrstu inside",
        // Beyond ASCII around the keys (the set's boundaries are ASCII ones):
        // a letter before or after a key is part of its word, a sign is not.
        "• sk-abcdefghijklmnopqrstu › ésk-abcdefghijklmnopqrstu │AKIAABCDEFGHIJKLMNOP│",
        "AKIAABCDEFGHIJKLMNOPé ghp_abcdefghijklmnopqrstuvwx→ ñxoxb-1234567890ab 日sk-ant-abcdefghijklmnop",
    ];
    let redactor = Redactor::new();
    for text in texts {
        assert_eq!(redactor.redact(text), each_shape(text), "{text}");
    }
}

/// The gaps as the scan before `drawn_gaps` found them, a character at a
/// time: after every key character, whether a gap begins there.
fn gaps_char_by_char(text: &str) -> Vec<std::ops::Range<usize>> {
    use pieces::{drawn_gap_end, is_key_char};
    let mut gaps = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        let Some(&(next, _)) = chars.peek() else {
            break;
        };
        if is_key_char(c)
            && let Some(end) = drawn_gap_end(text, next)
        {
            gaps.push(next..end);
            while chars.peek().is_some_and(|&(i, _)| i < end) {
                chars.next();
            }
        }
    }
    gaps
}

/// The scan that looks only at escapes and line breaks finds the gaps the
/// scan of every character found, in output made of the pieces gaps and
/// words are made of, at random.
#[test]
fn the_gap_scan_finds_what_a_scan_of_every_character_finds() {
    const BITS: &[&str] = &[
        "a",
        "Z",
        "7",
        "_",
        "-",
        "sk-",
        " ",
        "  ",
        "\r",
        "\n",
        "\r\n",
        "\x1b[2K",
        "\x1b[33;1H",
        "\x1b[1m",
        "\x1b[0m",
        "\x1b[5G",
        "\x1b[B",
        "\x1b]0;t\x07",
        "\x1b",
        "\x1b[",
        "é",
        "漢",
        ".",
        "\u{2022}",
        "x\x1b[3;1H",
        "m",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut found = 0;
    for _ in 0..20_000 {
        let len = 1 + next() % 24;
        let text: String = (0..len)
            .map(|_| BITS[(next() % BITS.len() as u64) as usize])
            .collect();
        let gaps = pieces::drawn_gaps(&text);
        assert_eq!(gaps, gaps_char_by_char(&text), "{text:?}");
        found += gaps.len();
    }
    assert!(found > 1000, "the texts had gaps to find: {found}");
}

/// Every match of every shape begins with one of the literals the quick
/// look for a shape looks for, so a text without them holds no shape.
#[test]
fn every_shape_begins_with_a_literal_the_quick_look_knows() {
    let mut texts: Vec<String> = corpus()
        .into_iter()
        .map(|(_, secret)| format!("x {secret} y"))
        .collect();
    texts.push(PEM.to_string());
    let mut matched = 0;
    for text in &texts {
        assert!(MAY_HOLD_SHAPE.is_match(text), "{text}");
        for (pattern, _) in PATTERNS.iter() {
            for m in pattern.find_iter(text) {
                matched += 1;
                assert!(
                    BEGINNINGS.iter().any(|b| m.as_str().starts_with(b)),
                    "{:?} begins with none of the literals",
                    m.as_str()
                );
            }
        }
    }
    assert!(matched >= texts.len());
    // Near misses: no literal, no shape, the text borrowed as it came.
    let redactor = Redactor::new();
    for text in [
        "sk_live nothing",
        "AKI A",
        "gh_p_x",
        "----BEGIN",
        "xox-b",
        "ghx_",
    ] {
        assert!(!MAY_HOLD_SHAPE.is_match(text), "{text}");
        assert!(matches!(redactor.redact(text), Cow::Borrowed(_)), "{text}");
    }
}
