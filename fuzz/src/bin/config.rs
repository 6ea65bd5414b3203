//! A generator's `config.txt` (and the `key = value` form of checkpoint state files),
//! then the generator it describes, built with zero weights: a config from elsewhere
//! must not size an allocation at will.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(text) = std::str::from_utf8(data) {
            if let Ok((config, _)) = nst::texture_net::GeneratorConfig::from_text(text) {
                let _ = nst::texture_net::Generator::<f32>::zeroed(config.clone());
                let _ = config.check_size(64, 64);
                let _ = nst::texture_net::GeneratorConfig::from_text(&config.to_text())
                    .expect("round trip");
            }
        }
    });
}
