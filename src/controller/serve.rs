//! `jwctl serve`: the controller as a command, on the simulated fleet or on an OMS.

use std::sync::Arc;
use std::time::Duration;

use tracing::level_filters::LevelFilter;

use super::{
    Access, ControllerConfig, ControllerError, DemoSeeded, MysqlTarget, StateLocation, TlsFiles,
    resolve_token, start,
};
use crate::cli::args::{BackendChoice, ServeArgs};
use crate::config::{Config, OmsSection, StateSection};
use crate::domain::{SystemClock, Zone};
use crate::oms::{OmsConfig, read_password_file};

/// `jwctl serve`: logs to stderr, says on stderr where it listens and where the token file is
/// (never the token), runs until SIGINT/SIGTERM, then shuts down gracefully.
pub async fn serve(args: &ServeArgs) -> Result<(), ControllerError> {
    crate::logging::to_stderr(LevelFilter::INFO);
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    if tls.is_none() && !args.listen.ip().is_loopback() && !args.insecure_listen {
        return Err(ControllerError::PlainBeyondLoopback(args.listen));
    }
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => crate::config::default_data_dir().ok_or(ControllerError::NoDataDir)?,
    };
    let access = match &args.tokens_file {
        Some(path) => {
            eprintln!(
                "identities: {} (read again when it changes)",
                path.display()
            );
            Access::TokensFile(path.clone())
        }
        None => {
            let token = resolve_token(&data_dir, args.token_file.as_deref())?;
            if token.generated {
                eprintln!(
                    "generated a bearer token in {} (mode 0600); clients read it from there",
                    token.path.display()
                );
            } else {
                eprintln!("bearer token: {}", token.path.display());
            }
            Access::Token(token.token)
        }
    };
    // Its `[oms]` and `[state]` tables fill in what the flags leave out.
    let config =
        Config::load(args.config.as_deref()).map_err(|e| ControllerError::Setup(e.to_string()))?;
    let oms = match args.backend {
        BackendChoice::Simulated => None,
        BackendChoice::Oms => Some(oms_config(args, &config.oms)?),
    };
    let state = state_location(args, &config.state)?;
    let oms_url = oms.as_ref().map(|o| o.url.clone());
    let handle = start(ControllerConfig {
        listen: args.listen,
        data_dir: data_dir.clone(),
        access,
        demo_fleet: args.demo_fleet,
        regions: args.regions,
        transition: Duration::from_millis(args.transition_ms),
        clock: Arc::new(SystemClock),
        oms,
        tls: tls.clone(),
        state,
    })
    .await?;
    let size = handle.fleet_size();
    let place = handle.state_place();
    if let Some(url) = oms_url {
        eprintln!("serving {size} writers of the OMS at {url}; the audit log is in {place}");
    } else if let Some(seeded) = handle.seeded_demo_fleet() {
        match seeded {
            DemoSeeded::Writing => eprintln!(
                "seeding a demo fleet of {size} writers into {place} (served at once; starts \
                 and pauses wait until it is written)"
            ),
            DemoSeeded::Stored => {
                eprintln!("stored a demo fleet of {size} writers in {place}, serving it")
            }
        }
    } else if size == 0 {
        eprintln!(
            "{place} holds no writers: serving an empty fleet (use --demo-fleet N to seed a demo)"
        );
    } else {
        if args.demo_fleet.is_some() {
            eprintln!("the database already holds writers; --demo-fleet is ignored");
        }
        eprintln!("serving {size} writers from {place}");
    }
    if tls.is_none() && !handle.addr().ip().is_loopback() {
        eprintln!(
            "warning: listening beyond loopback on plain HTTP: the token and all traffic can be \
             read on the network; prefer 127.0.0.1 behind an SSH tunnel or a TLS proxy"
        );
    }
    eprintln!("jwctl controller listening on {}", handle.url());
    wait_for_stop_signal().await;
    eprintln!("shutting down");
    handle.shutdown().await;
    Ok(())
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The OMS to drive, from the flags, else the config's `[oms]` table. Every problem is said
/// with the flag that fixes it; the password never appears.
fn oms_config(args: &ServeArgs, section: &OmsSection) -> Result<OmsConfig, ControllerError> {
    let missing = |flag: &str, key: &str| {
        ControllerError::Setup(format!(
            "--backend oms needs {flag} (or {key} in the [oms] table of the config file)"
        ))
    };
    let url = args
        .oms_url
        .clone()
        .or_else(|| section.url.clone())
        .ok_or_else(|| missing("--oms-url URL", "url"))?;
    let user = args
        .oms_user
        .clone()
        .or_else(|| section.user.clone())
        .ok_or_else(|| missing("--oms-user NAME", "user"))?;
    let password_file = args
        .oms_password_file
        .clone()
        .or_else(|| section.password_file.clone())
        .ok_or_else(|| missing("--oms-password-file PATH", "password_file"))?;
    let password =
        read_password_file(&password_file).map_err(|e| ControllerError::Setup(e.to_string()))?;
    let cm_urls = if args.cm_urls.is_empty() {
        &section.cm_urls
    } else {
        &args.cm_urls
    };
    if cm_urls.is_empty() {
        return Err(missing("--cm-url [REGION=]URL", "cm_urls"));
    }
    let mut config = OmsConfig::new(url, user, password);
    config.cm = cm_urls.iter().map(|cm| parse_cm_url(cm)).collect();
    if let Some(secs) = args.oms_poll_secs.or(section.poll_secs) {
        config.poll = Duration::from_secs(secs.max(1));
    }
    let zone = match (&args.oms_tz, &section.tz) {
        (Some(zone), _) => Some(*zone),
        (None, Some(tz)) => Some(
            tz.parse::<Zone>()
                .map_err(|e| ControllerError::Setup(format!("oms.tz: {e}")))?,
        ),
        (None, None) => None,
    };
    if let Some(zone) = zone {
        config.zone = zone;
    }
    Ok(config)
}

/// Where the state is kept: the database the flags, else the config's `[state]` table, name,
/// with its password; else SQLite in the data dir. The password never appears.
fn state_location(
    args: &ServeArgs,
    section: &StateSection,
) -> Result<StateLocation, ControllerError> {
    let Some(url) = args.state_url.clone().or_else(|| section.url.clone()) else {
        if args.state_password_file.is_some() {
            return Err(ControllerError::Setup(
                "--state-password-file is for a database given with --state-url".into(),
            ));
        }
        return Ok(StateLocation::DataDir);
    };
    let mut target = MysqlTarget::parse(&url).map_err(ControllerError::Setup)?;
    let password_file = args
        .state_password_file
        .clone()
        .or_else(|| section.password_file.clone());
    if let Some(path) = password_file {
        target.password =
            Some(read_password_file(&path).map_err(|e| ControllerError::Setup(e.to_string()))?);
    }
    target.ca_file = args
        .state_ca_file
        .clone()
        .or_else(|| section.ca_file.clone());
    if let Some(ca) = &target.ca_file
        && let Err(error) = std::fs::metadata(ca)
    {
        return Err(ControllerError::Setup(format!(
            "cannot read the state database's CA file {}: {error}; give the PEM file of the CA \
             that signed the database's certificate with --state-ca-file",
            ca.display()
        )));
    }
    if target.ca_file.is_none()
        && !target.is_loopback()
        && !(args.state_insecure || section.insecure)
    {
        return Err(ControllerError::Setup(format!(
            "refusing to connect to the state database on {} unencrypted: beyond loopback, \
             everything sent to it could be read on the network; give --state-ca-file (the CA \
             that signed its certificate) to connect over TLS, or pass --state-insecure if the \
             network is trusted",
            target.host
        )));
    }
    Ok(StateLocation::Mysql(target))
}

/// `cn-hangzhou=http://10.0.0.5:8088` or `http://10.0.0.5:8088` (no region).
fn parse_cm_url(text: &str) -> (Option<String>, String) {
    match text.split_once('=') {
        Some((region, url)) if !region.contains("://") => {
            (Some(region.trim().to_string()), url.trim().to_string())
        }
        _ => (None, text.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use clap::Parser;

    use super::*;
    use crate::cli::args::{Cli, Command};

    fn serve_args(flags: &[&str]) -> ServeArgs {
        let argv = ["jwctl", "serve", "--backend", "oms"].iter().chain(flags);
        match Cli::try_parse_from(argv).map(|cli| cli.command) {
            Ok(Some(Command::Serve(args))) => args,
            other => panic!("not a serve command: {other:?}"),
        }
    }

    fn password_file(dir: &std::path::Path, name: &str, mode: u32) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, "s3cret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn the_oms_table_fills_what_the_flags_leave_out() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "[oms]\nurl = \"http://oms:8089\"\nuser = \"ops\"\npassword_file = {:?}\n\
             cm_urls = [\"hz=http://cm-hz:8088\", \"sh=http://cm-sh:8088\"]\n\
             poll_secs = 9\ntz = \"Asia/Shanghai\"\n",
            password_file(dir.path(), "pw", 0o600)
        );
        let section = Config::parse(&text).unwrap().oms;
        let config = oms_config(&serve_args(&[]), &section).unwrap();
        assert_eq!(config.url, "http://oms:8089");
        assert_eq!(config.user, "ops");
        assert_eq!(config.password.expose(), "s3cret");
        assert_eq!(config.cm.len(), 2);
        assert_eq!(
            config.cm[1],
            (Some("sh".into()), "http://cm-sh:8088".into())
        );
        assert_eq!(config.poll, Duration::from_secs(9));
        assert_eq!(config.zone, "Asia/Shanghai".parse::<Zone>().unwrap());

        // A flag wins over the table, and one --cm-url replaces the whole list.
        let flags = serve_args(&["--oms-user", "admin", "--cm-url", "http://cm:8088"]);
        let config = oms_config(&flags, &section).unwrap();
        assert_eq!(config.user, "admin");
        assert_eq!(config.cm, vec![(None, "http://cm:8088".into())]);
        assert_eq!(config.url, "http://oms:8089");
    }

    #[test]
    fn what_is_missing_or_unsafe_is_named_with_its_flag() {
        let dir = tempfile::tempdir().unwrap();
        let error = |args: &ServeArgs, section: &OmsSection| match oms_config(args, section) {
            Ok(config) => panic!("accepted: {config:?}"),
            Err(e) => e.to_string(),
        };
        let none = OmsSection::default();
        assert!(error(&serve_args(&[]), &none).contains("--oms-url"));
        let open = password_file(dir.path(), "open", 0o644);
        let args = serve_args(&[
            "--oms-url",
            "http://oms:8089",
            "--oms-user",
            "ops",
            "--oms-password-file",
            open.to_str().unwrap(),
            "--cm-url",
            "http://cm:8088",
        ]);
        let message = error(&args, &none);
        assert!(message.contains("chmod 600"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
        let closed = password_file(dir.path(), "closed", 0o600);
        let args = serve_args(&[
            "--oms-url",
            "http://oms:8089",
            "--oms-user",
            "ops",
            "--oms-password-file",
            closed.to_str().unwrap(),
        ]);
        assert!(error(&args, &none).contains("--cm-url"));
        let bad_zone = OmsSection {
            cm_urls: vec!["http://cm:8088".into()],
            tz: Some("Mars/Base".into()),
            ..OmsSection::default()
        };
        assert!(error(&args, &bad_zone).contains("Mars/Base"));
    }

    #[test]
    fn a_state_database_beyond_loopback_needs_tls_or_a_plain_yes() {
        let dir = tempfile::tempdir().unwrap();
        let none = StateSection::default();
        let remote = "mysql://jwctl@10.0.0.7:2881/jwctl";
        let refused = match state_location(&serve_args(&["--state-url", remote]), &none) {
            Ok(location) => panic!("accepted: {location:?}"),
            Err(error) => error.to_string(),
        };
        assert!(refused.contains("--state-ca-file"), "{refused}");
        assert!(refused.contains("--state-insecure"), "{refused}");

        let plain = serve_args(&["--state-url", remote, "--state-insecure"]);
        assert!(state_location(&plain, &none).is_ok());
        let local = serve_args(&["--state-url", "mysql://jwctl@127.0.0.1:3306/jwctl"]);
        assert!(state_location(&local, &none).is_ok());

        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
        let section = StateSection {
            ca_file: Some(ca.clone()),
            ..StateSection::default()
        };
        match state_location(&serve_args(&["--state-url", remote]), &section) {
            Ok(StateLocation::Mysql(target)) => assert_eq!(target.ca_file, Some(ca)),
            other => panic!("{other:?}"),
        }
        let missing = dir.path().join("missing.pem");
        let missing = missing.to_str().unwrap();
        let args = serve_args(&["--state-url", remote, "--state-ca-file", missing]);
        let refused = state_location(&args, &none).err().map(|e| e.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains("missing.pem")),
            "{refused:?}"
        );
    }

    #[test]
    fn cm_urls_name_their_region_or_none() {
        assert_eq!(
            parse_cm_url("cn-hangzhou=http://10.0.0.5:8088"),
            (Some("cn-hangzhou".into()), "http://10.0.0.5:8088".into())
        );
        assert_eq!(
            parse_cm_url("http://10.0.0.5:8088/x?a=b"),
            (None, "http://10.0.0.5:8088/x?a=b".into())
        );
    }
}
