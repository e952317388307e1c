// The uploader's metrics, observed once per object committed (Uploader.onUploaded): how
// long its PUT took, how long from the PUT's start to its commit (what object durability
// costs), how long its oldest data waited to become object-durable, and its size (whose
// _count is the objects uploaded and _sum their bytes). Cost: four histogram
// observations per object, nothing per batch.

import { Histogram } from 'prom-client';
import type { Metric } from 'prom-client';
import type { UploadTimings } from '@stratus/storage';

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const MiB = 1024 * 1024;
const OBJECT_BYTES_BUCKETS = [4096, 16_384, 65_536, 262_144, MiB, 2 * MiB, 4 * MiB, 8 * MiB, 16 * MiB, 32 * MiB, 64 * MiB];

export function uploadMetrics(): { readonly onUploaded: (upload: UploadTimings) => void; readonly metrics: readonly Metric[] } {
  const put = new Histogram({ name: 'stratus_upload_put_seconds', help: 'Time to PUT one uploaded object, retries included', buckets: SECONDS_BUCKETS, registers: [] });
  const upload = new Histogram({
    name: 'stratus_upload_seconds',
    help: "Time from an object's PUT start to its commit in the partition index (waiting for earlier objects' commits included)",
    buckets: SECONDS_BUCKETS,
    registers: [],
  });
  const age = new Histogram({
    name: 'stratus_upload_data_age_seconds',
    help: "Time from the oldest batch of an object entering the upload queue (durable in the WAL) to the object's commit: how long data waits to be object-durable",
    buckets: SECONDS_BUCKETS,
    registers: [],
  });
  const bytes = new Histogram({ name: 'stratus_upload_object_bytes', help: 'Size of each object uploaded and committed (_count: objects, _sum: bytes)', buckets: OBJECT_BYTES_BUCKETS, registers: [] });
  return {
    onUploaded: (u) => {
      put.observe(u.putMs / 1000);
      upload.observe(u.uploadMs / 1000);
      age.observe(u.oldestEntryMs / 1000);
      bytes.observe(u.bytes);
    },
    metrics: [put, upload, age, bytes],
  };
}
