//! `gen-workflows`: the same as `slipway gen-workflows`, for teams that call the generator by
//! its own name.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    args.insert(1, "gen-workflows".into());
    slipway::cli::main_from(args)
}
