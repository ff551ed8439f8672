# One runtime identity per function, so that each holds only what its own code needs, and a
# separate identity per Eventarc trigger, so that only Eventarc (not the function itself, nor anyone
# else) can invoke platformEventsPubSub, recordingReady and the sweeper. The tasks of the recordings
# queue carry a token of their own identity, recording-tasks, the only one that may invoke
# recordingWorker.

locals {
  # Structured logs. Firestore is granted per database, below.
  runtime_project_roles = ["roles/logging.logWriter"]

  # Firestore's IAM has no collection-level grant: a role on the project covers every collection of
  # every database, and with datastore.user the public platformEvents could rewrite people's roles.
  # What it can narrow is the database (an IAM condition on resource.name). So people and roles live
  # in a database of their own (firestore.tf), and each runtime gets datastore.user on the sessions
  # database only, the api on the directory too. Read-only (datastore.viewer) fits none of them: each
  # writes sessions, plans, monitors or settings.
  firestore_main_database   = "projects/${var.project_id}/databases/${google_firestore_database.main.name}"
  firestore_directory_users = { api = google_service_account.api_runtime.email }
  firestore_main_users = {
    platform_events        = google_service_account.platform_events_runtime.email
    platform_events_pubsub = google_service_account.platform_events_pubsub_runtime.email
    api                    = google_service_account.api_runtime.email
    recording_ready        = google_service_account.recording_ready_runtime.email
    recording_worker       = google_service_account.recording_worker_runtime.email
    sweeper                = google_service_account.sweeper_runtime.email
    media_ready            = google_service_account.media_ready_runtime.email
  }
}

resource "google_project_iam_member" "firestore_main_users" {
  for_each = local.firestore_main_users

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${each.value}"

  condition {
    title      = "sessions-database-only"
    expression = "resource.name == \"${local.firestore_main_database}\""
  }
}

resource "google_project_iam_member" "firestore_directory_users" {
  for_each = local.firestore_directory_users

  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${each.value}"

  condition {
    title      = "directory-database-only"
    expression = "resource.name == \"projects/${var.project_id}/databases/${google_firestore_database.directory.name}\""
  }
}

resource "google_service_account" "platform_events_runtime" {
  account_id   = "platform-events-fn"
  display_name = "platformEvents runtime"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_service_account" "platform_events_pubsub_runtime" {
  account_id   = "platform-events-pubsub-fn"
  display_name = "platformEventsPubSub runtime"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_service_account" "api_runtime" {
  account_id   = "switchboard-api-fn"
  display_name = "api runtime"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_service_account" "recording_ready_runtime" {
  account_id   = "recording-ready-fn"
  display_name = "recordingReady runtime"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_service_account" "recording_worker_runtime" {
  account_id   = "recording-worker-fn"
  display_name = "recordingWorker runtime"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_service_account" "sweeper_runtime" {
  account_id   = "sweeper-fn"
  display_name = "sweeper runtime"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_service_account" "platform_events_trigger" {
  account_id   = "platform-events-trigger"
  display_name = "Eventarc trigger of platformEventsPubSub"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_service_account" "recording_ready_trigger" {
  account_id   = "recording-ready-trigger"
  display_name = "Eventarc trigger of recordingReady"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_service_account" "sweeper_trigger" {
  account_id   = "sweeper-trigger"
  display_name = "Eventarc trigger of the sweeper"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

# The identity in the OIDC token of every task on the recordings queue. It holds one thing: the right
# to invoke recordingWorker. The functions that create tasks may act as it (below), which is what
# lets Cloud Tasks mint its tokens for them.
resource "google_service_account" "recording_tasks" {
  account_id   = "recording-tasks"
  display_name = "Cloud Tasks calling recordingWorker"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

# Builds run as this account rather than the project's default one, which new projects no longer
# grant build permissions to (and which older projects grant far too much).
resource "google_service_account" "function_build" {
  account_id   = "switchboard-build"
  display_name = "Cloud Build for the Switchboard functions"

  depends_on = [google_project_service.required["iam.googleapis.com"]]
}

resource "google_project_iam_member" "platform_events_runtime" {
  for_each = toset(local.runtime_project_roles)

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.platform_events_runtime.email}"
}

resource "google_project_iam_member" "platform_events_pubsub_runtime" {
  for_each = toset(local.runtime_project_roles)

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.platform_events_pubsub_runtime.email}"
}

resource "google_project_iam_member" "api_runtime" {
  for_each = toset(local.runtime_project_roles)

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.api_runtime.email}"
}

resource "google_project_iam_member" "recording_ready_runtime" {
  for_each = toset(local.runtime_project_roles)

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.recording_ready_runtime.email}"
}

resource "google_project_iam_member" "recording_worker_runtime" {
  for_each = toset(local.runtime_project_roles)

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.recording_worker_runtime.email}"
}

resource "google_project_iam_member" "sweeper_runtime" {
  for_each = toset(local.runtime_project_roles)

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.sweeper_runtime.email}"
}

# The api publishes commands to the platform on this one topic, so the grant is on the topic, not on
# the project: it can publish nowhere else, and read nothing.
resource "google_pubsub_topic_iam_member" "api_commands_publisher" {
  topic  = google_pubsub_topic.platform_commands.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.api_runtime.email}"
}

resource "google_project_iam_member" "function_build" {
  project = var.project_id
  role    = "roles/cloudbuild.builds.builder"
  member  = "serviceAccount:${google_service_account.function_build.email}"
}

# Secret access is granted per secret, never on the project, and to platformEvents only: it is the
# one entry point that checks signatures (config.ts requires the secret for it alone, by
# FUNCTION_TARGET), so platformEventsPubSub's account cannot read them.
resource "google_secret_manager_secret_iam_member" "platform_events_signing_secret" {
  secret_id = google_secret_manager_secret.platform_signing_secret.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.platform_events_runtime.email}"
}

resource "google_secret_manager_secret_iam_member" "platform_events_signing_secret_previous" {
  secret_id = google_secret_manager_secret.platform_signing_secret_previous.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.platform_events_runtime.email}"
}

# Public at the Cloud Run level on purpose (with the api below, the only two): the platform calls from
# outside Google Cloud without a Google identity, so it authenticates every request with an HMAC
# signature instead, which the code checks (functions/src/http/platform-signature.ts) before it
# reads or writes anything.
resource "google_cloud_run_v2_service_iam_member" "platform_events_public" {
  project  = var.project_id
  location = google_cloudfunctions2_function.platform_events.location
  name     = google_cloudfunctions2_function.platform_events.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Public at the Cloud Run level on purpose too: people call the api from their browsers with a
# Firebase Auth / Identity Platform ID token, which is not a Google identity Cloud Run's IAM check
# understands. The code verifies that token on every request (functions/src/adapters/identity/
# id-tokens.ts, against Google's securetoken keys) before it reads or writes anything; only
# /healthz answers without one.
resource "google_cloud_run_v2_service_iam_member" "api_public" {
  project  = var.project_id
  location = google_cloudfunctions2_function.api.location
  name     = google_cloudfunctions2_function.api.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# The only identity allowed to invoke platformEventsPubSub: Eventarc pushes each message with a token
# for this account.
resource "google_cloud_run_v2_service_iam_member" "platform_events_pubsub_trigger_invoker" {
  project  = var.project_id
  location = google_cloudfunctions2_function.platform_events_pubsub.location
  name     = google_cloudfunctions2_function.platform_events_pubsub.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.platform_events_trigger.email}"
}

# The recordings pipeline (recordings.tf). Every grant is on the queue, the bucket, the service
# account or the service it is about, never on the project, except the two Eventarc needs for the
# Storage trigger at the end.

locals {
  # The runtime accounts that create tasks on the recordings queue: platformEvents and
  # platformEventsPubSub (a recording.available event asks for a plan task), recordingReady (plans and
  # its tasks), the worker (each part asks for the next) and the sweeper (plans what was missed).
  recording_task_creators = {
    platform_events        = google_service_account.platform_events_runtime.email
    platform_events_pubsub = google_service_account.platform_events_pubsub_runtime.email
    recording_ready        = google_service_account.recording_ready_runtime.email
    recording_worker       = google_service_account.recording_worker_runtime.email
    sweeper                = google_service_account.sweeper_runtime.email
  }

  # Read and delete recordings: the worker (reads the parts, deletes once the CRM has them all) and the
  # sweeper (lists the bucket, reads what it plans, purges what is overdue).
  recordings_admins = {
    recording_worker = google_service_account.recording_worker_runtime.email
    sweeper          = google_service_account.sweeper_runtime.email
  }

  # Read only: recordingReady (reads a new recording to plan its parts) and the api (serves a waiting
  # recording to the CRM, REC-4).
  recordings_readers = {
    recording_ready = google_service_account.recording_ready_runtime.email
    api             = google_service_account.api_runtime.email
  }
}

resource "google_cloud_tasks_queue_iam_member" "recording_task_creators" {
  for_each = local.recording_task_creators

  project  = var.project_id
  location = google_cloud_tasks_queue.recordings.location
  name     = google_cloud_tasks_queue.recordings.name
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${each.value}"
}

# Creating a task whose OIDC token names recording-tasks needs iam.serviceAccounts.actAs on it.
resource "google_service_account_iam_member" "recording_task_creators" {
  for_each = local.recording_task_creators

  service_account_id = google_service_account.recording_tasks.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${each.value}"
}

resource "google_storage_bucket_iam_member" "recordings_admins" {
  for_each = local.recordings_admins

  bucket = google_storage_bucket.recordings.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${each.value}"
}

# Voicemails' audio (the platform's bucket): the worker reads a voicemail to deliver it and deletes it
# once the CRM has it, the sweeper purges what is overdue. Same accounts as the recordings' admins.
resource "google_storage_bucket_iam_member" "voicemail_admins" {
  for_each = local.recordings_admins

  bucket = var.voicemail_bucket
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${each.value}"
}

resource "google_storage_bucket_iam_member" "recordings_readers" {
  for_each = local.recordings_readers

  bucket = google_storage_bucket.recordings.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${each.value}"
}

# The platform's identities that write recordings (none by default): create only, so they can neither
# read a recording back nor overwrite or delete one.
resource "google_storage_bucket_iam_member" "recordings_writers" {
  for_each = toset(var.recordings_writers)

  bucket = google_storage_bucket.recordings.name
  role   = "roles/storage.objectCreator"
  member = each.value
}

# The only identity allowed to invoke recordingWorker: the tasks' OIDC tokens name it.
resource "google_cloud_run_v2_service_iam_member" "recording_worker_tasks_invoker" {
  project  = var.project_id
  location = google_cloudfunctions2_function.recording_worker.location
  name     = google_cloudfunctions2_function.recording_worker.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.recording_tasks.email}"
}

# The only identity allowed to invoke recordingReady: Eventarc pushes each event with its token.
resource "google_cloud_run_v2_service_iam_member" "recording_ready_trigger_invoker" {
  project  = var.project_id
  location = google_cloudfunctions2_function.recording_ready.location
  name     = google_cloudfunctions2_function.recording_ready.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.recording_ready_trigger.email}"
}

# The only identity allowed to invoke the sweeper.
resource "google_cloud_run_v2_service_iam_member" "sweeper_trigger_invoker" {
  project  = var.project_id
  location = google_cloudfunctions2_function.sweeper.location
  name     = google_cloudfunctions2_function.sweeper.name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.sweeper_trigger.email}"
}

# Only the worker may read the Salesforce key, and only the api the CRM's download keys; each granted
# on its secret.
resource "google_secret_manager_secret_iam_member" "recording_worker_salesforce_private_key" {
  secret_id = google_secret_manager_secret.salesforce_private_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.recording_worker_runtime.email}"
}

resource "google_secret_manager_secret_iam_member" "api_crm_download_key" {
  secret_id = google_secret_manager_secret.crm_download_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.api_runtime.email}"
}

resource "google_secret_manager_secret_iam_member" "api_crm_download_key_previous" {
  secret_id = google_secret_manager_secret.crm_download_key_previous.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.api_runtime.email}"
}

# The tone library (NOT-4): only the api writes, reads and deletes tones' audio.
resource "google_storage_bucket_iam_member" "api_notification_tones" {
  bucket = google_storage_bucket.notification_tones.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.api_runtime.email}"
}

resource "google_secret_manager_secret_iam_member" "api_notification_tone_preview_key" {
  secret_id = google_secret_manager_secret.notification_tone_preview_key.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.api_runtime.email}"
}

# Eventarc's Cloud Storage triggers: the bucket's events reach Eventarc through Pub/Sub, published by
# the project's Cloud Storage service agent, which needs the publisher role on the project (Eventarc
# creates that topic itself, so the grant cannot name it). The trigger's own account must be allowed
# to receive events, a role that is granted on the project only.
data "google_storage_project_service_account" "this" {
  project = var.project_id

  depends_on = [google_project_service.required["storage.googleapis.com"]]
}

resource "google_project_iam_member" "storage_service_agent_publisher" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.this.email_address}"
}

resource "google_project_iam_member" "recording_ready_trigger_event_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.recording_ready_trigger.email}"
}
