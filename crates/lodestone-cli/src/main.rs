//! `lode`: see `lode --help`.

fn main() {
    std::process::exit(lodestone_cli::app::main_with(std::env::args_os()));
}
