//! The progress table: every exercise, its chapter, and whether it passes.
//! Run through `bash book/exercises/check.sh`.

use nst_exercises::grade::Failure;
use nst_exercises::EXERCISES;

fn main() {
    // The graders catch the learner's panics (a `todo!()` is "not done yet"); the default
    // hook would print each one on top of the table.
    std::panic::set_hook(Box::new(|_| {}));
    println!("{:<26} {:<48} status", "exercise", "chapter");
    let mut passed = 0;
    let mut first_failure = None;
    for e in EXERCISES {
        let status = match (e.grade)() {
            Ok(()) => {
                passed += 1;
                "passed".to_string()
            }
            Err(Failure::NotDone) => "not done yet".to_string(),
            Err(f @ Failure::Wrong(_)) => {
                first_failure.get_or_insert((e, f));
                "FAILED".to_string()
            }
        };
        let chapter = format!("{} · {}", e.chapter, e.section);
        println!("{:<26} {:<48} {status}", e.id, chapter);
    }
    println!(
        "{:<26} {:<48} (arrives with the Winograd engine)",
        "ex15_winograd", "Winograd F(2,3)"
    );
    println!("\n{passed} of {} passed", EXERCISES.len());
    if let Some((e, f)) = first_failure {
        println!(
            "\n{}: {f}\n  (book/exercises/src/exercises/{}.rs)",
            e.id, e.id
        );
    }
}
