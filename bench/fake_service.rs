//! The test suite's fake Destination Service, serving a synthetic landscape for the live
//! benchmark.
//!
//! `fake-service N LATENCY_MS KEY_FILE`: N destinations split over the two levels (one
//! Cloud ALM name on both), every response delayed by LATENCY_MS; writes a destination service
//! key for it to KEY_FILE, prints its URL, and serves until standard input closes.
#![allow(clippy::disallowed_methods)] // tests and benchmarks write their fixtures and speak directly

// A stand-alone benchmark program: it speaks on its own standard streams.
#![allow(clippy::disallowed_macros)]

#[allow(dead_code)]
#[path = "../tests/support/fake_service.rs"]
mod fake_service;
#[path = "landscape.rs"]
mod landscape;

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Map, Value};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n), Some(latency), Some(key_file)) =
        (args.first().and_then(|a| a.parse::<usize>().ok()), args.get(1).and_then(|a| a.parse::<u64>().ok()), args.get(2))
    else {
        eprintln!("usage: fake-service N LATENCY_MS KEY_FILE");
        return ExitCode::from(2);
    };
    let mut objects: Vec<Value> = landscape::generate(n)
        .into_iter()
        .map(|props| Value::Object(props.into_iter().map(|(k, v)| (k.to_owned(), Value::String(v))).collect::<Map<_, _>>()))
        .collect();
    let instance = objects.split_off(n / 2);
    let mut config = fake_service::FakeConfig {
        subaccount: objects,
        instance,
        latency: Duration::from_millis(latency),
        ..fake_service::FakeConfig::default()
    };
    // The same Cloud ALM name on both levels, so the check across levels has work to do.
    if let (Some(first), Some(clash)) = (
        config.subaccount.first().cloned(),
        config.instance.iter_mut().find(|d| d["Name"].as_str().is_some_and(|n| n.starts_with("CALM_"))),
    ) {
        clash["Name"] = first["Name"].clone();
    }
    let service = fake_service::FakeService::start(config);
    if let Err(e) = std::fs::write(key_file, service.destination_key_json().to_string()) {
        eprintln!("{key_file}: {e}");
        return ExitCode::FAILURE;
    }
    println!("{}", service.base_url());
    let _ = std::io::stdout().flush();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    ExitCode::SUCCESS
}
