//! The workbook's runner: `cargo run --bin exercises -- help`.
//! The work is in `wirebook::workbook::runner`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(wirebook::workbook::runner::main(&args));
}
