//! `cargo run -p examples --bin batch -- --pushgateway URL [--job NAME] [--grouping LABEL=VALUE]...
//! [--items N]`
//!
//! A batch job that pushes its metrics once at the end with PUT (see `examples::batch`). Exits
//! 0 once the push is delivered; when the push fails after its retries it prints why and exits 1.

use std::process::ExitCode;

use examples::batch::Job;
use examples::cli::{runtime_error, usage_error};

const USAGE: &str =
    "batch --pushgateway URL [--job NAME] [--grouping LABEL=VALUE]... [--items N]  (default job `batch`, 100 items)";

fn args() -> Result<Job, lexopt::Error> {
    use lexopt::prelude::*;
    let mut job = Job::new("");
    let mut url = None;
    let mut p = lexopt::Parser::from_env();
    while let Some(arg) = p.next()? {
        match arg {
            Long("pushgateway") => url = Some(p.value()?.string()?),
            Long("job") => job.job = p.value()?.string()?,
            Long("grouping") => {
                let g = p.value()?.string()?;
                let (k, v) = g
                    .split_once('=')
                    .ok_or_else(|| format!("invalid value for --grouping: `{g}` (expected LABEL=VALUE)"))?;
                job.grouping.push((k.to_owned(), v.to_owned()));
            }
            Long("items") => job.items = p.value()?.parse()?,
            Long("help") | Short('h') => {
                println!("usage: {USAGE}");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    job.pushgateway = url.ok_or("missing --pushgateway URL")?;
    Ok(job)
}

fn main() -> ExitCode {
    let job = match args() {
        Ok(j) => j,
        Err(e) => return usage_error("batch", USAGE, e),
    };
    println!("batch: processing {} items, then pushing to {} as job `{}`", job.items, job.pushgateway, job.job);
    match examples::batch::run(&job) {
        Ok(o) => {
            println!("batch: processed {} items, {} failed; pushed", o.processed, o.failed);
            ExitCode::SUCCESS
        }
        Err(e) => runtime_error("batch", e),
    }
}
