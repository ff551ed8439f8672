# All three functions are built from the same source: the npm package at the repository root, whose
# gcp-build script (run by the Node.js buildpack) compiles functions/src into functions/lib.

locals {
  function_runtime = "nodejs22"

  # What every function reads. DIRECTORY_CACHE_SECONDS is left at config.ts's default (60). No
  # *_EMULATOR_HOST, ever: with the Auth emulator's variable the api would accept unsigned tokens
  # (config.ts refuses it on Cloud Run too).
  runtime_environment = {
    # The Node.js runtimes of Cloud Run functions set no project variable of their own, and
    # loadConfig refuses to start without one.
    GOOGLE_CLOUD_PROJECT  = var.project_id
    FIRESTORE_DATABASE_ID = google_firestore_database.main.name
    LOG_LEVEL             = upper(var.log_level)
  }

  # Only platformEvents checks signatures.
  platform_events_environment = merge(local.runtime_environment, {
    PLATFORM_SIGNATURE_MAX_SKEW_SECONDS = tostring(var.signature_max_skew_seconds)
  })

  # The api publishes listen-in, barge and end commands to the platform's topic.
  api_environment = merge(local.runtime_environment, {
    PLATFORM_COMMANDS_TOPIC = google_pubsub_topic.platform_commands.name
  })
}

resource "google_storage_bucket" "function_source" {
  name     = "${var.project_id}-switchboard-source"
  location = var.region

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  depends_on = [google_project_service.required["storage.googleapis.com"]]
}

resource "google_storage_bucket_object" "function_source" {
  # Named after its content: a new archive is a new object, and that is what makes every function
  # rebuild; the same archive uploaded again changes nothing.
  name   = "switchboard-${filemd5(var.source_archive_path)}.zip"
  bucket = google_storage_bucket.function_source.name
  source = var.source_archive_path
}

resource "google_cloudfunctions2_function" "platform_events" {
  name        = "platform-events"
  location    = var.region
  description = "Session events from the platform over HTTP (POST /v1/events, HMAC-signed)."

  build_config {
    runtime         = local.function_runtime
    entry_point     = "platformEvents"
    service_account = google_service_account.function_build.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.platform_events_runtime.email
    # Reached by the platform over the internet; who may call is decided by the signature check and
    # by the allUsers invoker grant in iam.tf.
    ingress_settings   = "ALLOW_ALL"
    # Many requests per instance: the handlers wait on Firestore, the instance serialises events of
    # one session itself, and per-instance caches pay off. Concurrency above 1 needs a whole CPU.
    available_cpu                    = "1"
    available_memory                 = "512M"
    max_instance_request_concurrency = 80
    timeout_seconds                  = 60
    min_instance_count               = 0
    # A ceiling on cost and on the write rate a burst can push at Firestore; raise it with evidence.
    max_instance_count = 10

    environment_variables = local.platform_events_environment

    secret_environment_variables {
      key        = "PLATFORM_SIGNING_SECRET"
      project_id = var.project_id
      secret     = google_secret_manager_secret.platform_signing_secret.secret_id
      version    = "latest"
    }

    secret_environment_variables {
      key        = "PLATFORM_SIGNING_SECRET_PREVIOUS"
      project_id = var.project_id
      secret     = google_secret_manager_secret.platform_signing_secret_previous.secret_id
      version    = "latest"
    }
  }

  # Cloud Run checks at deploy time that the runtime account can read the secrets.
  depends_on = [
    google_project_service.required["cloudfunctions.googleapis.com"],
    google_project_service.required["run.googleapis.com"],
    google_project_service.required["cloudbuild.googleapis.com"],
    google_project_service.required["artifactregistry.googleapis.com"],
    google_project_iam_member.function_build,
    google_project_iam_member.platform_events_runtime,
    google_secret_manager_secret_iam_member.platform_events_signing_secret,
    google_secret_manager_secret_iam_member.platform_events_signing_secret_previous,
  ]
}

resource "google_cloudfunctions2_function" "platform_events_pubsub" {
  name        = "platform-events-pubsub"
  location    = var.region
  description = "Session events from the platform through the platform-events Pub/Sub topic."

  build_config {
    runtime         = local.function_runtime
    entry_point     = "platformEventsPubSub"
    service_account = google_service_account.function_build.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.platform_events_pubsub_runtime.email
    # Eventarc's Pub/Sub pushes count as internal traffic; nothing else needs to reach this service.
    ingress_settings   = "ALLOW_INTERNAL_ONLY"
    available_memory   = "256M"
    timeout_seconds    = 60
    min_instance_count = 0
    max_instance_count = 10

    # No signing secret: this entry point checks no signature, and its account may not read it.
    environment_variables = local.runtime_environment
  }

  event_trigger {
    trigger_region = var.region
    event_type     = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic   = google_pubsub_topic.platform_events.id
    # A thrown error (a storage failure) means "deliver again"; poison messages are acknowledged by
    # the code, so only failures that may pass on a retry come back. See pubsub.tf for the bound.
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.platform_events_trigger.email
  }

  depends_on = [
    google_project_service.required["cloudfunctions.googleapis.com"],
    google_project_service.required["run.googleapis.com"],
    google_project_service.required["cloudbuild.googleapis.com"],
    google_project_service.required["artifactregistry.googleapis.com"],
    google_project_service.required["eventarc.googleapis.com"],
    google_project_iam_member.function_build,
    google_project_iam_member.platform_events_pubsub_runtime,
  ]
}

resource "google_cloudfunctions2_function" "api" {
  name        = "switchboard-api"
  location    = var.region
  description = "REST API for supervisors, managers and admins (Firebase Auth / Identity Platform ID tokens)."

  build_config {
    runtime         = local.function_runtime
    entry_point     = "api"
    service_account = google_service_account.function_build.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.api_runtime.email
    # Called from people's browsers; who may call is decided by the ID token check in code and by
    # the allUsers invoker grant in iam.tf.
    ingress_settings                 = "ALLOW_ALL"
    available_cpu                    = "1"
    available_memory                 = "512M"
    max_instance_request_concurrency = 80
    timeout_seconds                  = 60
    min_instance_count               = 0
    max_instance_count               = 10

    # No signing secret: the api checks ID tokens, not platform signatures, and its account may not
    # read the secrets.
    environment_variables = local.api_environment
  }

  depends_on = [
    google_project_service.required["cloudfunctions.googleapis.com"],
    google_project_service.required["run.googleapis.com"],
    google_project_service.required["cloudbuild.googleapis.com"],
    google_project_service.required["artifactregistry.googleapis.com"],
    google_project_iam_member.function_build,
    google_project_iam_member.api_runtime,
    google_pubsub_topic_iam_member.api_commands_publisher,
  ]
}
