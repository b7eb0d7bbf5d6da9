// The local upload page's Uppy: bundled by `make setup` (esbuild) into build/local/uppy.js,
// served by boulderstat/local/web.py. Versions are pinned in package.json.
export { default as Uppy } from "@uppy/core";
export { default as AwsS3 } from "@uppy/aws-s3";
