//! `spygen gen`: read the project, plan the graph, write the build files.

use clap::Args;

use crate::error::{Error, Result};
use crate::toolchain::Db;

/// Options of `spygen gen`.
#[derive(Debug, Args)]
pub struct GenArgs {}

pub fn run(_args: &GenArgs, _db: &Db) -> Result<()> {
    Err(Error::usage("gen is not available yet"))
}
