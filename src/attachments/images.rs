//! What is read from an image, and the smaller copies made of it: its
//! size is read from its header first, and an image of more than
//! [`MAX_PIXELS`] is refused before it is decoded (a decompression bomb
//! is a small file with an enormous image in it). The copies are turned
//! the way the photo's orientation says, hold no metadata, and are JPEG.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use crate::error::{ApiError, FieldError};

/// The widths copies are made at, when the image is wider.
pub const WIDTHS: [u32; 3] = [320, 640, 1280];
/// The most pixels an image may have (about 60 megapixels).
pub const MAX_PIXELS: u64 = 60_000_000;
/// The most memory the decoder may take.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
const QUALITY: u8 = 82;

/// An image's size, and its copies (encoded JPEG bytes).
pub struct Read {
    pub width: u32,
    pub height: u32,
    pub copies: Vec<Copy>,
}

pub struct Copy {
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

fn refused(message: String) -> ApiError {
    ApiError::ValidationFailed(vec![FieldError { field: "file".into(), code: "unreadable_image", message }])
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, ApiError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| refused(format!("the image cannot be read: {error}")))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    Ok(reader)
}

/// Reads the image `bytes` and makes its copies. `None` when this server
/// cannot decode its format (AVIF): it is kept without sizes or copies.
pub fn read(bytes: &[u8]) -> Result<Option<Read>, ApiError> {
    let Ok((width, height)) = reader(bytes)?.into_dimensions() else {
        return if image::guess_format(bytes).is_ok_and(|format| format.reading_enabled()) {
            Err(refused("the image's header cannot be read".into()))
        } else {
            Ok(None)
        };
    };
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(refused(format!(
            "the image is {width}×{height} pixels; at most {} million are read",
            MAX_PIXELS / 1_000_000
        )));
    }
    let mut decoder =
        reader(bytes)?.into_decoder().map_err(|error| refused(format!("the image cannot be read: {error}")))?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder)
        .map_err(|error| refused(format!("the image cannot be decoded: {error}")))?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let mut copies = Vec::new();
    // Each copy from the next wider one: fewer pixels to go through.
    let mut source = image;
    for wanted in WIDTHS.iter().rev().copied().filter(|wanted| *wanted < width) {
        let copy_height =
            ((u64::from(height) * u64::from(wanted) + u64::from(width) / 2) / u64::from(width)).max(1) as u32;
        let copy = source.resize_exact(wanted, copy_height, image::imageops::FilterType::Triangle);
        copies.push(Copy { width: wanted, height: copy_height, bytes: jpeg(&copy)? });
        source = copy;
    }
    copies.reverse();
    Ok(Some(Read { width, height, copies }))
}

/// JPEG of `image`, transparency laid on white.
fn jpeg(image: &DynamicImage) -> Result<Vec<u8>, ApiError> {
    let rgb = if image.color().has_alpha() {
        let mut rgba = image.to_rgba8();
        for pixel in rgba.pixels_mut() {
            let alpha = u16::from(pixel[3]);
            for channel in 0..3 {
                pixel[channel] = ((u16::from(pixel[channel]) * alpha + 255 * (255 - alpha)) / 255) as u8;
            }
        }
        DynamicImage::ImageRgba8(rgba).to_rgb8()
    } else {
        image.to_rgb8()
    };
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, QUALITY)
        .encode_image(&rgb)
        .map_err(|error| ApiError::internal(format!("cannot encode a JPEG copy: {error}")))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image =
            image::RgbaImage::from_fn(width, height, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 200]));
        let mut bytes = Vec::new();
        DynamicImage::ImageRgba8(image).write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
        bytes
    }

    #[test]
    fn copies_are_made_at_the_narrower_widths() {
        let read = read(&png(800, 400)).unwrap().unwrap();
        assert_eq!((read.width, read.height), (800, 400));
        let sizes: Vec<(u32, u32)> = read.copies.iter().map(|copy| (copy.width, copy.height)).collect();
        assert_eq!(sizes, [(320, 160), (640, 320)]);
        for copy in &read.copies {
            let decoded = image::load_from_memory(&copy.bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (copy.width, copy.height));
        }
    }

    #[test]
    fn a_bomb_is_refused_before_it_is_decoded() {
        // A PNG header claiming 100 000 × 100 000 pixels.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let error = read(&bomb).err().unwrap();
        assert!(error.to_string().contains("file"), "{error:?}");
    }
}
