//! The spygen command: everything happens in the library; this only hands over the arguments.

fn main() {
    std::process::exit(spygen::cli::run());
}
