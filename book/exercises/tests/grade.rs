//! One test per exercise: `cargo test --manifest-path book/exercises/Cargo.toml` grades
//! them all, `… ex02` one of them. A failure's message says where your answer differs.

fn grade(id: &str) {
    if let Err(msg) = nst_exercises::report(id) {
        panic!("{msg}");
    }
}

#[test]
fn ex01_im2col() {
    grade("ex01_im2col");
}

#[test]
fn ex02_relu_backward() {
    grade("ex02_relu_backward");
}

#[test]
fn ex03_maxpool_backward() {
    grade("ex03_maxpool_backward");
}

#[test]
fn ex04_col2im() {
    grade("ex04_col2im");
}

#[test]
fn ex05_conv_input_grad() {
    grade("ex05_conv_input_grad");
}

#[test]
fn ex06_conv_weight_grad() {
    grade("ex06_conv_weight_grad");
}

#[test]
fn ex07_content_grad() {
    grade("ex07_content_grad");
}

#[test]
fn ex08_gram() {
    grade("ex08_gram");
}

#[test]
fn ex09_style_grad() {
    grade("ex09_style_grad");
}

#[test]
fn ex10_tv_grad() {
    grade("ex10_tv_grad");
}

#[test]
fn ex11_adam_step() {
    grade("ex11_adam_step");
}

#[test]
fn ex12_two_loop() {
    grade("ex12_two_loop");
}

#[test]
fn ex13_batchnorm_backward() {
    grade("ex13_batchnorm_backward");
}

#[test]
fn ex14_crc_mask() {
    grade("ex14_crc_mask");
}

#[test]
fn ex15_winograd() {
    grade("ex15_winograd");
}
