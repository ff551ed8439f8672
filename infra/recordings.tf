# Call recordings on their way to the CRM (REC-1 … REC-6). The platform writes each recording to the
# recordings bucket; recordingReady (Storage "object finalized") plans its upload and enqueues tasks on
# the `recordings` queue; Cloud Tasks calls recordingWorker with an OIDC token of `recording-tasks`
# for each 50 MB part, and the worker deletes the object once the CRM has every part. The sweeper,
# ticked hourly by Cloud Scheduler, purges what is overdue and plans what was missed.
#
# REC-3 (a recording is never kept more than 7 days) holds without any of that code running: the
# bucket's lifecycle rule deletes every object 6 days after it was written, soft delete keeps
# nothing, and the queue gives up on a task within 6 days.

locals {
  recording_worker_name = "recording-worker"

  # The worker's URL: where the tasks are sent, the audience of their OIDC tokens, and the audience the
  # worker itself checks (functions/src/adapters/identity/oidc-callers.ts); all three must be the same
  # string. It cannot be read from the function (google_cloudfunctions2_function.recording_worker.url):
  # the worker's own environment needs it, and a resource cannot refer to itself. So it is computed
  # here, the way Cloud Functions forms the URL of a 2nd gen function
  # (https://REGION-PROJECT.cloudfunctions.net/NAME, an audience Cloud Run's IAM check accepts), and
  # every function gets this one value; the check below compares it with the real URL at every plan
  # after the worker exists.
  recording_worker_url = "https://${var.region}-${var.project_id}.cloudfunctions.net/${local.recording_worker_name}"
}

check "recording_worker_url" {
  assert {
    condition     = google_cloudfunctions2_function.recording_worker.url == local.recording_worker_url
    error_message = "recordingWorker's URL is not the computed local.recording_worker_url: tasks would be sent to, and their tokens minted for, the wrong URL. Fix the local (recordings.tf)."
  }
}

resource "google_storage_bucket" "recordings" {
  name     = "${var.project_id}-switchboard-recordings"
  location = var.region
  # The Storage trigger of recordingReady must be in the bucket's location (var.region, see
  # functions.tf): keep the two together.

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  # Overwriting or deleting an object must not leave an older generation behind.
  versioning {
    enabled = false
  }

  # Soft delete would keep every deleted object 7 more days (the default), restorable: a recording
  # deleted after the upload, or by the 7-day purge, would still exist. 0 turns it off.
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  # The last line of REC-3, whatever happens to the tasks and the sweeper: delete every object 6 days
  # after it was written. Lifecycle actions run asynchronously, up to 24 hours after an object
  # qualifies, so age 6 means gone within 7 days (age 7 could mean 8). The plans purge a recording at
  # its deadline before this; this rule only catches what they missed.
  lifecycle_rule {
    condition {
      age = 6
    }
    action {
      type = "Delete"
    }
  }

  # Never delete recordings with the bucket: `terraform destroy` fails while it holds any.
  force_destroy = false

  depends_on = [google_project_service.required["storage.googleapis.com"]]
}

# Also the queue of anonymous consumers' CRM work (UNA-1 … UNA-5: tickets, merges and their undoing),
# sent to the same worker, the one function with the CRM's credentials: the CRM's retry schedule
# (REC-2) below is theirs too. No queue of their own.
resource "google_cloud_tasks_queue" "recordings" {
  name     = "recordings"
  location = var.region

  retry_config {
    # Retries stop when both the attempts and the duration are spent: with unlimited attempts, the
    # duration alone decides. 6 days (518400 s) after a task's first attempt it is dropped, inside
    # REC-3's 7 days; what is still waiting then is the purge's business.
    max_attempts       = -1
    max_retry_duration = "518400s"
    # 10 s, doubled 8 times (to 2560 s), then growing linearly to at most an hour between attempts:
    # fast enough for a blip, slow enough not to hammer a CRM whose API limit is spent.
    min_backoff   = "10s"
    max_backoff   = "3600s"
    max_doublings = 8
  }

  rate_limits {
    # At most 20 uploads at once (recordingWorker runs one per instance, up to 20 instances), started
    # at most 5 a second: the CRM's API limit is the scarce thing.
    max_concurrent_dispatches = 20
    max_dispatches_per_second = 5
  }

  # Every attempt is logged: a recording's path through the queue can then be followed.
  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.required["cloudtasks.googleapis.com"]]
}

# The sweeper's clock: a message on sweeper-ticks every hour, received by the sweeper through Eventarc.
resource "google_cloud_scheduler_job" "sweeper" {
  name        = "sweeper-hourly"
  region      = var.region
  description = "Ticks the sweeper (7-day recording purge, orphaned recordings) every hour."
  schedule    = "0 * * * *"
  time_zone   = "Etc/UTC"

  pubsub_target {
    topic_name = google_pubsub_topic.sweeper_ticks.id
    data       = base64encode("{}")
  }

  depends_on = [google_project_service.required["cloudscheduler.googleapis.com"]]
}

# Uploaded notification tones and whisper recordings (NOT-3, NOT-4): a bucket of their own, never the
# recordings bucket, whose lifecycle rule and sweep would delete them. Kept until an admin deletes or
# replaces a tone; the api writes, reads and deletes them, nobody else. Objects are small (at most
# 1,000,000 bytes each, 50 tones).
resource "google_storage_bucket" "notification_tones" {
  name     = "${var.project_id}-switchboard-notification-tones"
  location = var.region

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  # Previews are served by the api's signed URLs, never by the bucket itself.
  public_access_prevention = "enforced"

  # A replaced or deleted tone's audio is deleted by its generation; no older generation is kept.
  versioning {
    enabled = false
  }

  # Admins delete a tone on purpose; a tone deleted by mistake is uploaded again.
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  force_destroy = false

  depends_on = [google_project_service.required["storage.googleapis.com"]]
}
