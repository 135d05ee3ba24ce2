//! Product images: type checked by magic bytes (never the client's word), size bounded, stored
//! under `<tenant>/<uuid>.<ext>` in a [`MediaStore`] and served by the gateway at `/media/…`.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use tenant::{AdminPrincipal, Permission};
use utoipa::ToSchema;

use crate::error::CatalogError;

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, CatalogError>> + Send + 'a>>;

/// Where media bytes live. Local disk by default; an object store (S3-compatible) is a second
/// implementation of this trait.
pub trait MediaStore: Send + Sync {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> StoreFuture<'a, ()>;
    /// `None` when there is no such object.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>>;
}

/// Files under a folder (the data dir's `media/`).
pub struct LocalDiskStore {
    root: PathBuf,
}

impl LocalDiskStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

impl MediaStore for LocalDiskStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let path = self.root.join(key);
            let failed = |err: std::io::Error| {
                CatalogError::MediaStore(format!("{}: {err}", path.display()))
            };
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(failed)?;
            }
            tokio::fs::write(&path, bytes).await.map_err(failed)
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            match tokio::fs::read(self.root.join(key)).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(err) => Err(CatalogError::MediaStore(err.to_string())),
            }
        })
    }
}

/// The image formats accepted, recognised by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Gif,
    Webp,
}

impl ImageKind {
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(ImageKind::Gif)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "jpg",
            ImageKind::Png => "png",
            ImageKind::Gif => "gif",
            ImageKind::Webp => "webp",
        }
    }

    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension {
            "jpg" => Some(ImageKind::Jpeg),
            "png" => Some(ImageKind::Png),
            "gif" => Some(ImageKind::Gif),
            "webp" => Some(ImageKind::Webp),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Gif => "image/gif",
            ImageKind::Webp => "image/webp",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UploadedImage {
    /// Use it in a product's `images`.
    pub url: String,
    pub content_type: String,
    pub bytes: usize,
}

/// The store key of a media URL path (`<tenant>/<uuid>.<ext>`), if it is one this module made:
/// nothing else (no `..`, no other names) ever reaches the store.
pub fn media_key(tenant: &str, file: &str) -> Option<(String, ImageKind)> {
    let tenant = uuid::Uuid::try_parse(tenant).ok()?;
    let (stem, extension) = file.split_once('.')?;
    let id = uuid::Uuid::try_parse(stem).ok()?;
    let kind = ImageKind::from_extension(extension)?;
    Some((
        format!("{}/{}.{}", tenant.simple(), id.simple(), kind.extension()),
        kind,
    ))
}

pub async fn upload_product_image(
    store: &dyn MediaStore,
    principal: &AdminPrincipal,
    bytes: Vec<u8>,
    max_bytes: usize,
) -> Result<UploadedImage, CatalogError> {
    principal.require(Permission::ManageCatalog)?;
    if bytes.len() > max_bytes {
        return Err(CatalogError::ImageTooLarge { max_bytes });
    }
    let kind = ImageKind::sniff(&bytes).ok_or(CatalogError::UnsupportedImageType)?;
    let tenant = principal.tenant_id.simple();
    let name = format!("{}.{}", kernel::new_id().simple(), kind.extension());
    let key = format!("{tenant}/{name}");
    let size = bytes.len();
    store.put(&key, bytes).await?;
    tracing::info!(tenant.id = %principal.tenant_id, media.key = %key, media.bytes = size, "image uploaded");
    Ok(UploadedImage {
        url: format!("/media/{tenant}/{name}"),
        content_type: kind.content_type().to_owned(),
        bytes: size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_bytes_not_their_names() {
        assert_eq!(
            ImageKind::sniff(b"\xFF\xD8\xFF\xE0rest"),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(ImageKind::Png)
        );
        assert_eq!(ImageKind::sniff(b"GIF89a..."), Some(ImageKind::Gif));
        assert_eq!(
            ImageKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(ImageKind::sniff(b"MZ\x90\x00"), None);
    }

    #[test]
    fn only_keys_this_module_makes_reach_the_store() {
        let tenant = kernel::new_id().simple().to_string();
        let file = format!("{}.png", kernel::new_id().simple());
        assert!(media_key(&tenant, &file).is_some());
        assert!(media_key(&tenant, "../../etc/passwd").is_none());
        assert!(media_key("..", &file).is_none());
        assert!(media_key(&tenant, "x.png").is_none());
        assert!(media_key(&tenant, &file.replace(".png", ".svg")).is_none());
    }
}
