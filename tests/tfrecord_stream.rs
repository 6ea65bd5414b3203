//! The training-image streams: every record once per epoch, shuffling that depends on
//! the seed only, crops of the asked size (scaling small pictures up), folders and
//! TFRecord shards behind one API.

use ndarray::Array3;
use nst::formats::tfrecord::pack::{pack_dir, PackOptions};
use nst::formats::tfrecord::stream::random_crop;
use nst::formats::tfrecord::{FolderStream, ImageSource, ImageStream, StreamOptions};
use nst::math::rng::Rng;
use std::io::Cursor;
use std::path::{Path, PathBuf};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let d = std::env::temp_dir().join(format!("nst-tfr-stream-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("pics")).unwrap();
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Picture `i`: a flat colour whose red channel is `i * 10 / 255`, of size (h, w), so
/// every decoded image tells which picture it came from.
fn write_picture(dir: &Path, i: u8, h: u32, w: u32, grey: bool) {
    let img: image::DynamicImage = if grey {
        image::GrayImage::from_pixel(w, h, image::Luma([i * 10])).into()
    } else {
        image::RgbImage::from_pixel(w, h, image::Rgb([i * 10, 100, 200])).into()
    };
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    std::fs::write(dir.join(format!("p{i:02}.png")), out).unwrap();
}

fn id_of(img: &Array3<f32>) -> u8 {
    (img[[0, 0, 0]] * 255.0 / 10.0).round() as u8
}

/// A folder of `n` pictures packed into `shards` shards.
fn dataset(tag: &str, n: u8, shards: usize) -> (TempDir, Vec<PathBuf>) {
    let t = TempDir::new(tag);
    for i in 0..n {
        write_picture(&t.0.join("pics"), i, 6 + u32::from(i % 3), 8, i % 4 == 1);
    }
    let s = pack_dir(
        &t.0.join("pics"),
        &t.0.join("data.tfrecord"),
        &PackOptions {
            shards,
            max_side: None,
        },
        &mut |_, _| {},
    )
    .unwrap();
    let paths = s.shards.iter().map(|s| s.path.clone()).collect();
    (t, paths)
}

fn drain(s: &mut ImageSource, n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| id_of(&s.next_image().unwrap().unwrap()))
        .collect()
}

#[test]
fn each_record_once_per_epoch_and_shuffled_by_seed() {
    let (_t, shards) = dataset("epoch", 12, 3);
    let opts = |seed| StreamOptions {
        shuffle_buffer: 5,
        seed,
        ..Default::default()
    };
    let ids = |seed| {
        let mut s = ImageStream::open(shards.clone(), opts(seed)).unwrap();
        let mut ids = Vec::new();
        while let Some(img) = s.next_image().unwrap() {
            ids.push(id_of(&img));
        }
        ids
    };
    let a = ids(1);
    let mut sorted = a.clone();
    sorted.sort();
    assert_eq!(sorted, (0..12).collect::<Vec<u8>>());
    assert_eq!(a, ids(1), "same seed, same order");
    assert_ne!(a, ids(2), "another seed, another order");
    assert_ne!(a, sorted, "shuffled");
}

#[test]
fn unshuffled_stream_reads_shards_in_order() {
    let (_t, shards) = dataset("order", 5, 2);
    let mut s = ImageStream::open(
        shards,
        StreamOptions {
            shuffle: false,
            ..Default::default()
        },
    )
    .unwrap();
    let mut ids = Vec::new();
    while let Some(img) = s.next_image().unwrap() {
        ids.push(id_of(&img));
    }
    // Round-robin sharding: shard 0 holds 0, 2, 4 and shard 1 holds 1, 3.
    assert_eq!(ids, [0, 2, 4, 1, 3]);
}

#[test]
fn repeat_crosses_epochs() {
    let (_t, shards) = dataset("repeat", 4, 2);
    let mut s = ImageSource::Records(
        ImageStream::open(
            shards,
            StreamOptions {
                repeat: true,
                shuffle_buffer: 3,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let ids = drain(&mut s, 40);
    for i in 0..4 {
        let k = ids.iter().filter(|&&x| x == i).count();
        assert!((8..=12).contains(&k), "picture {i} seen {k} times in 40");
    }
    assert!(s.epoch() >= 9);
}

#[test]
fn crops_have_the_asked_size_and_small_pictures_are_scaled_up() {
    let (_t, shards) = dataset("crop", 6, 1);
    let mut s = ImageStream::open(
        shards,
        StreamOptions {
            crop: Some((5, 7)),
            ..Default::default()
        },
    )
    .unwrap();
    while let Some(img) = s.next_image().unwrap() {
        assert_eq!(img.dim(), (5, 7, 3));
        assert!(img.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }
    // A 6×8 picture and a 20×4 crop: scaled by 20/6 (width 8 → 27), then cropped.
    let flat = image::Rgb32FImage::from_pixel(8, 6, image::Rgb([0.5, 0.25, 1.0]));
    let mut rng = Rng::new(3);
    let c = random_crop(flat, 20, 4, &mut rng);
    assert_eq!((c.height(), c.width()), (20, 4));
    // A flat colour stays flat through bilinear scaling.
    assert!(c
        .pixels()
        .all(|p| (p.0[0] - 0.5).abs() < 1e-6 && (p.0[1] - 0.25).abs() < 1e-6));
}

#[test]
fn crop_positions_cover_the_picture() {
    // A 1×10 ramp cropped to 1×1: every column is reachable.
    let ramp = image::Rgb32FImage::from_fn(10, 1, |x, _| image::Rgb([x as f32, 0.0, 0.0]));
    let mut rng = Rng::new(0);
    let mut seen = [false; 10];
    for _ in 0..200 {
        let c = random_crop(ramp.clone(), 1, 1, &mut rng);
        seen[c.get_pixel(0, 0).0[0] as usize] = true;
    }
    assert!(seen.iter().all(|&s| s));
}

#[test]
fn grey_pictures_become_three_equal_channels() {
    let (_t, shards) = dataset("grey", 2, 1);
    let mut s = ImageStream::open(
        shards,
        StreamOptions {
            shuffle: false,
            ..Default::default()
        },
    )
    .unwrap();
    s.next_image().unwrap();
    let grey = s.next_image().unwrap().unwrap(); // picture 1 is grey
    assert_eq!(grey.dim(), (7, 8, 3));
    assert!(grey
        .outer_iter()
        .all(|row| row.outer_iter().all(|px| px[0] == px[1] && px[1] == px[2])));
    assert_eq!(grey[[0, 0, 0]], 10.0 / 255.0);
}

#[test]
fn folder_and_records_give_the_same_pictures() {
    let (t, _) = dataset("same", 7, 2);
    let opts = StreamOptions {
        seed: 5,
        ..Default::default()
    };
    let mut folder = ImageSource::open(&[t.0.join("pics")], opts.clone()).unwrap();
    assert!(matches!(folder, ImageSource::Folder(_)));
    let mut a = drain(&mut folder, 7);
    assert!(folder.next_image().unwrap().is_none());
    // A folder holding only shards is read as shards.
    std::fs::remove_dir_all(t.0.join("pics")).unwrap();
    let mut records = ImageSource::open(std::slice::from_ref(&t.0), opts).unwrap();
    assert!(matches!(records, ImageSource::Records(_)));
    let mut b = drain(&mut records, 7);
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn folder_stream_repeats_and_reports_unreadable_files() {
    let t = TempDir::new("folder");
    let pics = t.0.join("pics");
    for i in 0..3 {
        write_picture(&pics, i, 4, 4, false);
    }
    std::fs::write(pics.join("broken.png"), b"\x89PNG not really").unwrap();
    let e = (|| -> nst::Result<()> {
        let mut s = FolderStream::open(
            &pics,
            StreamOptions {
                shuffle: false,
                ..Default::default()
            },
        )?;
        while s.next_image()?.is_some() {}
        Ok(())
    })()
    .unwrap_err();
    assert!(e.0.contains("broken.png: cannot decode the picture"), "{e}");
    let mut s = FolderStream::open(
        &pics,
        StreamOptions {
            repeat: true,
            skip_bad: true,
            ..Default::default()
        },
    )
    .unwrap();
    for _ in 0..9 {
        s.next_image().unwrap().unwrap();
    }
    // Three epochs of three pictures; the broken file is skipped once per epoch it was
    // reached in (it may come last in the third).
    assert_eq!(s.epoch(), 2);
    assert!((2..=3).contains(&s.skipped()), "{}", s.skipped());
}

#[test]
fn picture_files_given_one_by_one() {
    let t = TempDir::new("files");
    let pics = t.0.join("pics");
    write_picture(&pics, 4, 3, 3, false);
    let mut s = ImageSource::open(&[pics.join("p04.png")], StreamOptions::default()).unwrap();
    assert_eq!(drain(&mut s, 1), [4]);
    assert!(ImageSource::open(&[], StreamOptions::default()).is_err());
    let e =
        ImageSource::open(&[t.0.join("missing.tfrecord")], StreamOptions::default()).unwrap_err();
    assert!(
        e.0.contains("cannot open") && e.0.contains("no such file"),
        "{e}"
    );
}
