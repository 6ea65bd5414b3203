//! `manifest.tsv` of a weight folder.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(text) = std::str::from_utf8(data) {
            if let Ok(m) = nst::net::weights::Manifest::parse(text, "fuzz") {
                // What parses writes back and parses again to the same manifest.
                let again =
                    nst::net::weights::Manifest::parse(&m.to_tsv(), "fuzz").expect("round trip");
                assert_eq!(again.tensors.len(), m.tensors.len());
                let _ = m.parameter_count();
            }
        }
    });
}
