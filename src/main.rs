//! The `slipway` binary: parse the arguments, run the command, turn the result into an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    slipway::cli::main()
}
