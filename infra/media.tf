# Smart-action media (SMA-2 … SMA-4): photos, screenshots, videos and web chat attachments that
# consumers' SDKs upload. platformEvents opens a resumable upload session per file (the SDK sends the
# bytes straight to this bucket); mediaReady (Storage "object finalized") reads each file's first
# bytes, deletes what it refuses and shows the agent what it accepts, with a V4 signed download URL
# it signs as its own account (IAM signBlob).
#
# Retention: the session's media is kept as its recordings are, 7 days (REC-3). The bucket's
# lifecycle rule deletes every object 6 days after it was written (lifecycle runs up to a day late),
# soft delete keeps nothing, and Firestore's TTL on `expireAt` (7 days after the URL was issued)
# removes the media records and the agents' desk copies.

locals {
  media_environment = {
    MEDIA_BUCKET = google_storage_bucket.media.name
  }
}

resource "google_storage_bucket" "media" {
  name     = "${var.project_id}-switchboard-media"
  location = var.region
  # The Storage trigger of mediaReady must be in the bucket's location (var.region): keep them together.

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  # Uploads go through the sessions platformEvents opens, downloads through signed URLs.
  public_access_prevention = "enforced"

  versioning {
    enabled = false
  }

  # A refused file is deleted at once, and a deleted file must not stay restorable.
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  lifecycle_rule {
    condition {
      age = 6
    }
    action {
      type = "Delete"
    }
  }

  # The web SDK uploads from the company's sites: a browser may PUT to an upload session only from
  # these origins (a resumable session also keeps the origin it was opened for).
  dynamic "cors" {
    for_each = length(var.media_upload_origins) > 0 ? [1] : []
    content {
      origin          = var.media_upload_origins
      method          = ["PUT", "GET"]
      response_header = ["Content-Type", "Content-Range", "Range", "X-Goog-Upload-Status"]
      max_age_seconds = 3600
    }
  }

  force_destroy = false

  depends_on = [google_project_service.required["storage.googleapis.com"]]
}

resource "google_cloudfunctions2_function" "media_ready" {
  name        = "media-ready"
  location    = var.region
  description = "Checks each file uploaded to the media bucket by its content; shows it to the agent or deletes it."

  build_config {
    runtime         = local.function_runtime
    entry_point     = "mediaReady"
    service_account = google_service_account.function_build.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.media_ready_runtime.email
    ingress_settings      = "ALLOW_INTERNAL_ONLY"
    # It reads 64 bytes of each file, never the file: a 500 MB video costs what a photo does.
    available_memory   = "256Mi"
    timeout_seconds    = 60
    min_instance_count = 0
    max_instance_count = 10

    environment_variables = merge(local.runtime_environment, local.media_environment)
  }

  event_trigger {
    trigger_region = var.region
    event_type     = "google.cloud.storage.object.v1.finalized"
    event_filters {
      attribute = "bucket"
      value     = google_storage_bucket.media.name
    }
    # A thrown error means "deliver again"; a repeat finds the verdict recorded.
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.media_ready_trigger.email
  }

  depends_on = [
    google_project_service.required["cloudfunctions.googleapis.com"],
    google_project_service.required["run.googleapis.com"],
    google_project_service.required["cloudbuild.googleapis.com"],
    google_project_service.required["artifactregistry.googleapis.com"],
    google_project_service.required["eventarc.googleapis.com"],
    google_project_iam_member.function_build,
    google_project_iam_member.media_ready_runtime,
    google_project_iam_member.storage_service_agent_publisher,
    google_project_iam_member.media_ready_trigger_event_receiver,
    google_storage_bucket_iam_member.media_ready_objects,
  ]
}

resource "google_service_account" "media_ready_runtime" {
  account_id   = "media-ready-fn"
  display_name = "mediaReady runtime"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_service_account" "media_ready_trigger" {
  account_id   = "media-ready-trigger"
  display_name = "Eventarc trigger of mediaReady"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_project_iam_member" "media_ready_runtime" {
  for_each = toset(local.runtime_project_roles)

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.media_ready_runtime.email}"
}

# mediaReady reads a file's first bytes and deletes what it refuses.
resource "google_storage_bucket_iam_member" "media_ready_objects" {
  bucket = google_storage_bucket.media.name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${google_service_account.media_ready_runtime.email}"
}

# Download URLs are V4 signed by mediaReady's own account through IAM signBlob: it may sign as itself
# and as nobody else.
resource "google_service_account_iam_member" "media_ready_signs_as_itself" {
  service_account_id = google_service_account.media_ready_runtime.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_service_account.media_ready_runtime.email}"
}

# The api serves a session's media to its agent and to a supervisor monitoring it: fresh download URLs,
# signed as itself, for objects it may read.
resource "google_storage_bucket_iam_member" "api_media_reader" {
  bucket = google_storage_bucket.media.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.api_runtime.email}"
}

resource "google_service_account_iam_member" "api_signs_as_itself" {
  service_account_id = google_service_account.api_runtime.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_service_account.api_runtime.email}"
}

# platformEvents opens the upload sessions: it may create objects, never read or delete them.
resource "google_storage_bucket_iam_member" "platform_events_media_uploads" {
  bucket = google_storage_bucket.media.name
  role   = "roles/storage.objectCreator"
  member = "serviceAccount:${google_service_account.platform_events_runtime.email}"
}

# The only identity allowed to invoke mediaReady: Eventarc pushes each event with its token.
resource "google_cloud_run_v2_service_iam_member" "media_ready_trigger_invoker" {
  project  = var.project_id
  location = google_cloudfunctions2_function.media_ready.location
  name     = google_cloudfunctions2_function.media_ready.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.media_ready_trigger.email}"
}

resource "google_project_iam_member" "media_ready_trigger_event_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.media_ready_trigger.email}"
}

# Media records (sessions/{id}/media) and agents' desk copies (agentDesks/{uid}/media) go 7 days after
# their upload URL was issued, with the files.
resource "google_firestore_field" "media_ttl" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "media"
  field      = "expireAt"

  ttl_config {}

  index_config {}
}
