use super::*;

fn rule() -> HomeRule {
    HomeRule {
        var: "AGENT_HOME".into(),
        dir: ".agent".into(),
        settings: "settings.json".into(),
        merge: String::new(),
        extend: [("mcp.allowed".to_string(), vec!["goalie".to_string()])].into(),
    }
}

fn merge() -> Value {
    json!({ "mcpServers": { "goalie": { "command": "/bin/goalie", "trust": true } } })
}

/// A person's home with a config folder holding settings (with a comment),
/// a credentials file and a chats folder, plus a notes folder beside it.
struct Homes {
    _dir: tempfile::TempDir,
    real: PathBuf,
    root: PathBuf,
}

impl Homes {
    fn new(settings: Option<&str>) -> Homes {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        let config = real.join(".agent");
        fs::create_dir_all(config.join("tmp/chats")).unwrap();
        fs::create_dir_all(real.join("notes")).unwrap();
        fs::write(config.join("creds.json"), "{\"token\":1}").unwrap();
        fs::write(config.join("tmp/chats/one.json"), "{}").unwrap();
        if let Some(text) = settings {
            fs::write(config.join("settings.json"), text).unwrap();
        }
        let root = dir.path().join("private");
        fs::create_dir(&root).unwrap();
        Homes {
            _dir: dir,
            real,
            root,
        }
    }

    fn create(&self) -> Result<AgentHome, HomeError> {
        AgentHome::create(&rule(), &self.real, &self.root, &merge(), "g1")
    }

    fn real_config(&self, name: &str) -> PathBuf {
        self.real.join(".agent").join(name)
    }
}

const SETTINGS: &str = "{\n  // the person's own\n  \"mcpServers\": {\"theirs\": {\"command\": \"x\"}},\n  \"ui\": {\"theme\": \"dark\"}\n}\n";

#[test]
fn the_home_links_everything_but_settings_which_gain_goalies_server() {
    let homes = Homes::new(Some(SETTINGS));
    let home = homes.create().unwrap();
    let config = home.path().join(".agent");
    // The person's entries, reached through links.
    assert_eq!(
        fs::read_link(home.path().join("notes")).unwrap(),
        homes.real.join("notes")
    );
    assert_eq!(
        fs::read_to_string(config.join("creds.json")).unwrap(),
        "{\"token\":1}"
    );
    assert!(config.join("tmp/chats/one.json").exists());
    // Their settings with goalie's server added; theirs kept.
    let settings: Value =
        serde_json::from_str(&fs::read_to_string(config.join("settings.json")).unwrap()).unwrap();
    assert_eq!(settings["mcpServers"]["theirs"]["command"], "x");
    assert_eq!(settings["mcpServers"]["goalie"]["trust"], true);
    assert_eq!(settings["ui"]["theme"], "dark");
    assert!(
        !fs::symlink_metadata(config.join("settings.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&config), 0o700);
    assert_eq!(mode(&config.join("settings.json")), 0o600);
    // The person's own file is untouched.
    assert_eq!(
        fs::read_to_string(homes.real_config("settings.json")).unwrap(),
        SETTINGS
    );

    // Settled with nothing made: nothing to say, and the home is empty.
    let settled = home.settle();
    assert!(settled.is_empty(), "{settled:?}");
    assert_eq!(fs::read_dir(&homes.root).unwrap().count(), 0);
    assert_eq!(
        fs::read_to_string(homes.real_config("settings.json")).unwrap(),
        SETTINGS
    );
    assert!(homes.real_config("creds.json").exists());
    assert!(homes.real.join("notes").is_dir());
}

#[test]
fn what_the_agent_writes_through_links_lands_in_the_real_folder() {
    let homes = Homes::new(None);
    let home = homes.create().unwrap();
    let config = home.path().join(".agent");
    fs::write(config.join("tmp/chats/two.json"), "{}").unwrap();
    fs::write(config.join("creds.json"), "{\"token\":2}").unwrap();
    assert!(homes.real_config("tmp/chats/two.json").exists());
    assert_eq!(
        fs::read_to_string(homes.real_config("creds.json")).unwrap(),
        "{\"token\":2}"
    );
    assert!(home.settle().is_empty());
    // No settings file of the person's: goalie's alone for the run, none after.
    assert!(!homes.real_config("settings.json").exists());
}

#[test]
fn entries_the_agent_made_or_replaced_are_moved_back_and_conflicts_kept_beside() {
    let homes = Homes::new(Some("{}"));
    let home = homes.create().unwrap();
    let config = home.path().join(".agent");
    // New: a folder and a file.
    fs::create_dir_all(config.join("history/p1")).unwrap();
    fs::write(config.join("history/p1/log"), "line").unwrap();
    fs::write(config.join("installation_id"), "abc").unwrap();
    // Saved by renaming over the link.
    fs::write(config.join("creds.json.tmp"), "{\"token\":3}").unwrap();
    fs::rename(config.join("creds.json.tmp"), config.join("creds.json")).unwrap();
    // Made here while the real folder got its own meanwhile.
    fs::write(config.join("projects.json"), "ours").unwrap();
    fs::write(homes.real_config("projects.json"), "theirs").unwrap();
    // A new entry at the top of the home.
    fs::create_dir(home.path().join(".agents")).unwrap();
    // The settings changed by the agent.
    let settings = config.join("settings.json");
    let changed = fs::read_to_string(&settings)
        .unwrap()
        .replace("\"trust\"", "\"theme\": \"light\", \"trust\"");
    fs::remove_file(&settings).unwrap();
    fs::write(&settings, &changed).unwrap();

    let settled = home.settle();
    let mut moved = settled.moved_back.clone();
    moved.sort();
    let mut expected = vec![
        homes.real.join(".agents"),
        homes.real_config("creds.json"),
        homes.real_config("history"),
        homes.real_config("installation_id"),
    ];
    expected.sort();
    assert_eq!(moved, expected, "{settled:?}");
    let mut kept = settled.kept_beside.clone();
    kept.sort();
    assert_eq!(
        kept,
        vec![
            homes.real_config("projects.json.goalie-g1"),
            homes.real_config("settings.json.goalie-g1"),
        ]
    );
    assert!(settled.failed.is_empty());
    assert_eq!(
        fs::read_to_string(homes.real_config("history/p1/log")).unwrap(),
        "line"
    );
    assert_eq!(
        fs::read_to_string(homes.real_config("creds.json")).unwrap(),
        "{\"token\":3}"
    );
    assert_eq!(
        fs::read_to_string(homes.real_config("projects.json")).unwrap(),
        "theirs"
    );
    assert_eq!(
        fs::read_to_string(homes.real_config("projects.json.goalie-g1")).unwrap(),
        "ours"
    );
    assert_eq!(
        fs::read_to_string(homes.real_config("settings.json")).unwrap(),
        "{}"
    );
    assert_eq!(
        fs::read_to_string(homes.real_config("settings.json.goalie-g1")).unwrap(),
        changed
    );
    // The chats, reached through a link all along, are still there.
    assert!(homes.real_config("tmp/chats/one.json").exists());
    assert_eq!(fs::read_dir(&homes.root).unwrap().count(), 0);
}

#[test]
fn a_home_left_by_a_killed_goalie_is_settled_from_its_manifest() {
    let homes = Homes::new(None);
    let home = homes.create().unwrap();
    fs::write(home.path().join(".agent/installation_id"), "abc").unwrap();
    // As if goalie were killed: nothing settles it.
    std::mem::forget(home);
    let settled = settle_dir(&homes.root);
    assert_eq!(
        settled.moved_back,
        vec![homes.real_config("installation_id")]
    );
    assert_eq!(fs::read_dir(&homes.root).unwrap().count(), 0);
    // A folder without a manifest is not touched.
    fs::write(homes.root.join("stray"), "x").unwrap();
    assert!(settle_dir(&homes.root).is_empty());
    assert!(homes.root.join("stray").exists());
}

#[test]
fn bad_settings_are_an_error_naming_the_line_and_column() {
    let homes = Homes::new(Some("{\n  // note\n  \"ui\": {\"theme\": \"dark\",}\n}\n"));
    let err = homes.create().unwrap_err();
    let path = homes.real_config("settings.json");
    assert_eq!(
        err.to_string(),
        format!("{}:3:26: trailing comma", path.display())
    );
    let homes = Homes::new(Some("[1, 2]"));
    let err = homes.create().unwrap_err();
    assert!(
        err.to_string()
            .ends_with("settings.json:1:1: the settings must be a JSON object"),
        "{err}"
    );
    // An empty file is no settings.
    let homes = Homes::new(Some("  \n"));
    let home = homes.create().unwrap();
    let text = fs::read_to_string(home.path().join(".agent/settings.json")).unwrap();
    assert!(text.contains("goalie"));
}

#[test]
fn a_missing_config_folder_is_made_so_the_agents_writes_persist() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("fresh");
    fs::create_dir(&real).unwrap();
    let root = dir.path().join("private");
    fs::create_dir(&root).unwrap();
    let home = AgentHome::create(&rule(), &real, &root, &merge(), "g2").unwrap();
    assert!(real.join(".agent").is_dir());
    fs::create_dir(home.path().join(".agent/tmp")).unwrap();
    drop(home);
    assert!(real.join(".agent/tmp").is_dir());
    assert_eq!(fs::read_dir(&root).unwrap().count(), 0);
}

#[test]
fn merging_adds_keys_and_replaces_non_objects() {
    let mut into = json!({ "a": { "b": 1, "c": [1] }, "d": 2 });
    merge_into(
        &mut into,
        &json!({ "a": { "c": [2], "e": 3 }, "d": { "f": 4 } }),
    );
    assert_eq!(
        into,
        json!({ "a": { "b": 1, "c": [2], "e": 3 }, "d": { "f": 4 } })
    );
}

#[test]
fn an_allowlist_of_the_persons_gains_goalie_and_no_list_stays_none() {
    let homes = Homes::new(Some(r#"{"mcp":{"allowed":["theirs"]}}"#));
    let home = homes.create().unwrap();
    let settings: Value = serde_json::from_str(
        &fs::read_to_string(home.path().join(".agent/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(settings["mcp"]["allowed"], json!(["theirs", "goalie"]));
    drop(home);

    let homes = Homes::new(Some(r#"{"mcp":{"serverCommand":"x"}}"#));
    let home = homes.create().unwrap();
    let settings: Value = serde_json::from_str(
        &fs::read_to_string(home.path().join(".agent/settings.json")).unwrap(),
    )
    .unwrap();
    assert!(settings["mcp"].get("allowed").is_none(), "{settings}");
}

#[test]
fn folders_are_merged_never_replaced() {
    let homes = Homes::new(None);
    let home = homes.create().unwrap();
    let config = home.path().join(".agent");
    // The agent removed the link to its chats folder and made a new one.
    fs::remove_file(config.join("tmp")).unwrap();
    fs::create_dir_all(config.join("tmp/chats")).unwrap();
    fs::write(config.join("tmp/chats/two.json"), "new").unwrap();
    fs::write(config.join("tmp/chats/one.json"), "clash").unwrap();
    // Another run made the same new folder first.
    fs::create_dir_all(config.join("history")).unwrap();
    fs::write(config.join("history/a"), "ours").unwrap();
    fs::create_dir_all(homes.real_config("history")).unwrap();
    fs::write(homes.real_config("history/b"), "theirs").unwrap();

    let settled = home.settle();
    assert!(settled.failed.is_empty(), "{settled:?}");
    let read = |name: &str| fs::read_to_string(homes.real_config(name)).unwrap();
    assert_eq!(
        read("tmp/chats/one.json"),
        "{}",
        "the person's chat is kept"
    );
    assert_eq!(read("tmp/chats/one.json.goalie-g1"), "clash");
    assert_eq!(read("tmp/chats/two.json"), "new");
    assert_eq!(read("history/a"), "ours");
    assert_eq!(read("history/b"), "theirs");
    let mut moved = settled.moved_back.clone();
    moved.sort();
    assert_eq!(
        moved,
        vec![
            homes.real_config("history/a"),
            homes.real_config("tmp/chats/two.json")
        ]
    );
    assert_eq!(
        settled.kept_beside,
        vec![homes.real_config("tmp/chats/one.json.goalie-g1")]
    );
    assert_eq!(fs::read_dir(&homes.root).unwrap().count(), 0);
}

#[test]
fn a_second_kept_copy_does_not_overwrite_the_first() {
    let homes = Homes::new(Some("{}"));
    for run in 1..=2 {
        fs::create_dir_all(&homes.root).unwrap();
        let home = homes.create().unwrap();
        let settings = home.path().join(".agent/settings.json");
        fs::remove_file(&settings).unwrap();
        fs::write(&settings, format!("{{\"run\":{run}}}")).unwrap();
        home.settle();
    }
    let read = |name: &str| fs::read_to_string(homes.real_config(name)).unwrap();
    assert_eq!(read("settings.json.goalie-g1"), "{\"run\":1}");
    assert_eq!(read("settings.json.goalie-g1-2"), "{\"run\":2}");
    assert_eq!(read("settings.json"), "{}");
}
