//! The ideal the live benchmark compares `check --destination-key` against: a token, page 1
//! of both levels at once, `Page-Count` learnt from it, then the remaining pages of each level
//! concurrently (at most CONCURRENCY in flight per level, calm-audit's default of 8), each page
//! parsed into `Vec<HashMap<String, String>>`. Nothing is checked or reported.
//!
//! `live-ideal KEY_FILE [CONCURRENCY [TARGETS TARGET_CONCURRENCY]]`; prints the number of
//! destinations read. With TARGETS, reads the same key as that many targets (subaccounts), at
//! most TARGET_CONCURRENCY at once, each starting as soon as another ends: the ideal for a
//! configuration file with many `[[target]]`s.

// A stand-alone benchmark program: it speaks on its own standard streams.
#![allow(clippy::disallowed_macros)]

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

type Page = Vec<HashMap<String, String>>;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(key_file) = args.first() else {
        eprintln!("usage: live-ideal KEY_FILE [CONCURRENCY]");
        return ExitCode::from(2);
    };
    let concurrency = args.get(1).and_then(|c| c.parse().ok()).unwrap_or(8);
    let targets: usize = args.get(2).and_then(|c| c.parse().ok()).unwrap_or(1);
    let at_once: usize = args.get(3).and_then(|c| c.parse().ok()).unwrap_or(1);
    match many(key_file, concurrency, targets, at_once).await {
        Ok(count) => {
            println!("{count}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("live-ideal: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn many(key_file: &str, concurrency: usize, targets: usize, at_once: usize) -> Result<usize, String> {
    if targets <= 1 {
        return run(key_file.to_owned(), concurrency).await;
    }
    let limit = Arc::new(Semaphore::new(at_once.max(1)));
    let mut set = JoinSet::new();
    for _ in 0..targets {
        let (limit, key_file) = (limit.clone(), key_file.to_owned());
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            run(key_file, concurrency).await
        });
    }
    let mut total = 0;
    while let Some(joined) = set.join_next().await {
        total += joined.map_err(|e| e.to_string())??;
    }
    Ok(total)
}

async fn run(key_file: String, concurrency: usize) -> Result<usize, String> {
    let key: Value = serde_json::from_str(&std::fs::read_to_string(&key_file).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let field = |name: &str| key[name].as_str().map(str::to_owned).ok_or(format!("key has no {name}"));
    let (client_id, secret, token_url, base) = (field("clientid")?, field("clientsecret")?, field("url")?, field("uri")?);
    let client = reqwest::Client::new();
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", &client_id)
        .append_pair("client_secret", &secret)
        .finish();
    let answer = client
        .post(format!("{token_url}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body: Value = serde_json::from_slice(&answer.bytes().await.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let token = body["access_token"].as_str().ok_or("no access_token")?.to_owned();
    let ctx = Arc::new((client, base, token));
    let (sub, inst) =
        tokio::join!(level(ctx.clone(), "subaccountDestinations", concurrency), level(ctx.clone(), "instanceDestinations", concurrency));
    Ok(sub? + inst?)
}

async fn page(ctx: &(reqwest::Client, String, String), collection: &str, page: u32) -> Result<(Page, u32), String> {
    let (client, base, token) = ctx;
    let url = format!("{base}/destination-configuration/v1/{collection}?$page={page}&$pageSize=1000&$pageCount=true");
    let answer = client.get(url).bearer_auth(token).send().await.map_err(|e| e.to_string())?;
    let count = answer.headers().get("page-count").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(1);
    let bytes = answer.bytes().await.map_err(|e| e.to_string())?;
    Ok((serde_json::from_slice(&bytes).map_err(|e| e.to_string())?, count))
}

async fn level(ctx: Arc<(reqwest::Client, String, String)>, collection: &'static str, concurrency: usize) -> Result<usize, String> {
    let (first, count) = page(&ctx, collection, 1).await?;
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut set = JoinSet::new();
    for n in 2..=count {
        let (ctx, limit) = (ctx.clone(), limit.clone());
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            page(&ctx, collection, n).await
        });
    }
    let mut total = first.len();
    while let Some(joined) = set.join_next().await {
        total += joined.map_err(|e| e.to_string())??.0.len();
    }
    Ok(total)
}
