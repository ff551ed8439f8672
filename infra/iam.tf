# One runtime identity per function, so that each holds only what its own code needs, and a
# separate identity for the Eventarc trigger, so that only Eventarc (not the function itself, nor
# anyone else) can invoke platformEventsPubSub.

locals {
  # Firestore reads and writes (sessions), and structured logs.
  runtime_project_roles = ["roles/datastore.user", "roles/logging.logWriter"]
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

resource "google_service_account" "platform_events_trigger" {
  account_id   = "platform-events-trigger"
  display_name = "Eventarc trigger of platformEventsPubSub"

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
