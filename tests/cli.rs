//! The command line: a broken calendar or catalogue stops the runner with one
//! line naming the file and the problem, never a panic trace.

use std::process::Command;

fn run_with(var: &str, file_text: &str) -> (i32, String) {
    let dir = tempfile_dir();
    let file = dir.join("broken.toml");
    std::fs::write(&file, file_text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_examreg"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--now",
            "2021-11-20T10:00:00+01:00",
        ])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env(var, &file)
        .output()
        .expect("the examreg binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "examreg-cli-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_one_line_error(stderr: &str, expected: &[&str]) {
    assert!(!stderr.contains("panicked"), "a panic: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("examreg: "), "{stderr}");
    for part in expected {
        assert!(lines[0].contains(part), "`{part}` missing from: {stderr}");
    }
}

#[test]
fn a_broken_calendar_stops_the_runner_with_one_line() {
    let calendar = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/infra/sessions/2022.toml"
    ))
    .unwrap();
    // The CAP documents window reversed.
    let broken = calendar.replacen("2021-12-22", "2021-11-30", 1);
    assert_ne!(broken, calendar, "the fixture changed: update this test");
    let (code, stderr) = run_with("EXAMREG_CALENDAR_FILE", &broken);
    assert_eq!(code, 1);
    assert_one_line_error(&stderr, &["broken.toml", "CAP"]);

    let (code, stderr) = run_with("EXAMREG_CALENDAR_FILE", "session = \"2022\"\n[diplomas\n");
    assert_eq!(code, 1);
    assert_one_line_error(&stderr, &["broken.toml", "line"]);
}

#[test]
fn a_broken_catalogue_stops_the_runner_with_one_line() {
    let catalogue =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/infra/catalogue.toml"))
            .unwrap();
    let broken = catalogue.replacen("code = \"PATISSIER\"", "code = \"CUISINE\"", 1);
    assert_ne!(broken, catalogue, "the fixture changed: update this test");
    let (code, stderr) = run_with("EXAMREG_CATALOGUE_FILE", &broken);
    assert_eq!(code, 1);
    assert_one_line_error(&stderr, &["broken.toml", "CUISINE"]);
}

#[test]
fn an_admin_event_prints_json_and_a_bad_one_a_clear_error() {
    let dir = tempfile_dir();
    let run = |event: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_examreg"))
            .args(["admin", event])
            .arg("--data-dir")
            .arg(&dir)
            .output()
            .expect("the examreg binary runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("JSON on stdout")
    };
    let list = run(r#"{"action": "list"}"#);
    assert!(
        list["items"].as_array().is_some_and(Vec::is_empty),
        "{list}"
    );
    let unknown = run(r#"{"action": "launch_rocket"}"#);
    assert_eq!(unknown["error"]["code"], "unknown_action");
    assert!(unknown["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    let garbage = run("{not json");
    assert!(garbage["error"]["code"].is_string(), "{garbage}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `examreg admin '…' | head -1`: the reader leaves early, the event has
/// run; the command ends quietly instead of panicking on the closed pipe.
#[test]
fn an_admin_answer_cut_short_by_its_reader_is_no_panic() {
    use std::process::Stdio;
    let dir = tempfile_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_examreg"))
        .arg("admin")
        .arg(r#"{"action": "list", "actor": "test"}"#)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the examreg binary runs");
    // The reader goes away before anything is printed.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
}

/// Runs `examreg serve` with `vars` added to its environment.
fn serve_with(vars: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile_dir();
    let output = Command::new(env!("CARGO_BIN_EXE_examreg"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .envs(vars.iter().copied())
        .output()
        .expect("the examreg binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_malformed_setting_stops_the_runner_with_one_line() {
    let (code, stderr) = serve_with(&[("EXAMREG_MAIL_RATE", "abc")]);
    assert_eq!(code, 1);
    assert_one_line_error(
        &stderr,
        &[r#"EXAMREG_MAIL_RATE must be a positive number of emails per second, got "abc""#],
    );

    let (code, stderr) = serve_with(&[("EXAMREG_PORTAL_ORIGIN", "https://exemple.fr/portail")]);
    assert_eq!(code, 1);
    assert_one_line_error(&stderr, &["EXAMREG_PORTAL_ORIGIN must be an origin"]);

    // The AWS backend's variables: missing, then malformed.
    let (code, stderr) = serve_with(&[("EXAMREG_BACKEND", "aws")]);
    assert_eq!(code, 1);
    assert_one_line_error(&stderr, &["EXAMREG_TABLE is not set"]);
    let aws = [
        ("EXAMREG_BACKEND", "aws"),
        ("EXAMREG_TABLE", "examreg-test"),
        ("EXAMREG_BUCKET", "examreg-test"),
        ("EXAMREG_SENDER", "no-reply@exemple.fr"),
        ("EXAMREG_S3_PATH_STYLE", "yes"),
    ];
    let (code, stderr) = serve_with(&aws);
    assert_eq!(code, 1);
    assert_one_line_error(
        &stderr,
        &[r#"EXAMREG_S3_PATH_STYLE must be true or false, got "yes""#],
    );
}

#[test]
fn a_malformed_session_is_refused_by_the_command_line() {
    let (code, stderr) = serve_with(&[("EXAMREG_SESSION", "22")]);
    assert_eq!(code, 2, "clap's usage error: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("a year of four digits") && stderr.contains("22"),
        "{stderr}"
    );
}
