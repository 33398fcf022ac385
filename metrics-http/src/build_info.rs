//! The labels of a `build_info` metric.

use metrics_core::LabelSet;

/// The labels of a client_golang-style `build_info{branch,commit,date,version} 1`, to declare
/// as `build_info: Info<BuildLabels>` with the application's own help text.
#[derive(LabelSet, Debug, Clone, Default)]
pub struct BuildLabels {
    /// The source branch.
    pub branch: String,
    /// The commit hash.
    pub commit: String,
    /// The build date.
    pub date: String,
    /// The version.
    pub version: String,
}

/// Build labels from the calling crate's `CARGO_PKG_VERSION` and the `BUILD_BRANCH`,
/// `BUILD_COMMIT` and `BUILD_DATE` environment variables at compile time (empty when unset).
#[macro_export]
macro_rules! build_labels {
    () => {
        $crate::BuildLabels {
            branch: ::core::option_env!("BUILD_BRANCH").unwrap_or("").into(),
            commit: ::core::option_env!("BUILD_COMMIT").unwrap_or("").into(),
            date: ::core::option_env!("BUILD_DATE").unwrap_or("").into(),
            version: ::core::env!("CARGO_PKG_VERSION").into(),
        }
    };
}
