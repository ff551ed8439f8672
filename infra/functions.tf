# All seven functions are built from the same source: the npm package at the repository root, whose
# gcp-build script (run by the Node.js buildpack) bundles functions/src into functions/lib
# (scripts/build.ts). Its main (functions/src/index.ts) imports only the module of the function the
# runtime serves, named by the entry point (FUNCTION_TARGET): each cold start loads what that one
# function needs, from a few bundled files, its own code compiled from the V8 code cache the build
# made with the flags in its NODE_OPTIONS below (change them together: see README.md, Deploying).

locals {
  function_runtime = "nodejs22"

  # What every function reads. DIRECTORY_CACHE_SECONDS and RECORDING_PART_BYTES are left at
  # config.ts's defaults (60, and REC-5's 50 MB). No *_EMULATOR_HOST, ever: with the Auth emulator's
  # variable the api would accept unsigned tokens (config.ts refuses it on Cloud Run too).
  runtime_environment = {
    # The Node.js runtimes of Cloud Run functions set no project variable of their own, and
    # loadConfig refuses to start without one.
    GOOGLE_CLOUD_PROJECT  = var.project_id
    FIRESTORE_DATABASE_ID = google_firestore_database.main.name
    LOG_LEVEL             = upper(var.log_level)
  }

  # Where recordings wait and how their tasks are made (recordings.tf): read by the three recordings
  # functions, by both platform event entry points (a recording.available event asks for a plan task)
  # and by the api (which serves waiting recordings to the CRM).
  recordings_environment = {
    RECORDINGS_BUCKET = google_storage_bucket.recordings.name
    VOICEMAIL_BUCKET  = var.voicemail_bucket
    # The full path, projects/PROJECT/locations/REGION/queues/recordings.
    RECORDINGS_QUEUE = google_cloud_tasks_queue.recordings.id
    # Computed, not read from the function: see recordings.tf.
    RECORDING_WORKER_URL            = local.recording_worker_url
    RECORDING_TASKS_SERVICE_ACCOUNT = google_service_account.recording_tasks.email
  }

  # Node's, for the three HTTP functions: the front door (functions/src/http/front-door.ts), loaded
  # from the build before the functions framework, which would otherwise read, decompress and buffer
  # up to 1 GB of any body before our code runs. It refuses compressed and oversize bodies unread and
  # answers malformed requests with JSON errors. Relative to /workspace, where the runtime starts the
  # function. The same value as FRONT_DOOR_NODE_OPTIONS in scripts/stack/functions.ts.
  front_door_node_options = "--require=./functions/lib/http/front-door-preload.js"

  # platformEventsPubSub, recordingReady and the sweeper need nothing else.
  recordings_runtime_environment = merge(local.runtime_environment, local.recordings_environment)

  # platformEventsPubSub ingests the same events as platformEvents, and so offers chats too (chat.tf).
  platform_events_pubsub_environment = merge(local.recordings_runtime_environment, local.chat_environment)

  # Only platformEvents checks signatures.
  # It also opens the consumers' media upload sessions (media.tf).
  platform_events_environment = merge(local.runtime_environment, local.recordings_environment, local.chat_environment, local.media_environment, {
    PLATFORM_SIGNATURE_MAX_SKEW_SECONDS = tostring(var.signature_max_skew_seconds)
    PLATFORM_SIGNATURE_ACCEPT_V1        = tostring(var.signature_accept_v1)
    NODE_OPTIONS                        = local.front_door_node_options
  })

  # The api publishes listen-in, barge and end commands to the platform's topic, and is the one
  # function that reads people and roles (the directory database, firestore.tf).
  # And it serves a session's media to its agent and to a supervisor monitoring it (media.tf).
  api_environment = merge(local.runtime_environment, local.recordings_environment, local.chat_environment, local.media_environment, {
    PLATFORM_COMMANDS_TOPIC         = google_pubsub_topic.platform_commands.name
    FIRESTORE_DIRECTORY_DATABASE_ID = google_firestore_database.directory.name
    # Uploaded notification tones (NOT-4), in their own bucket (recordings.tf).
    NOTIFICATION_TONES_BUCKET = google_storage_bucket.notification_tones.name
    NODE_OPTIONS              = local.front_door_node_options
  })

  # Only the worker talks to Salesforce. Its private key is a secret (SALESFORCE_PRIVATE_KEY, below),
  # never a plain variable.
  recording_worker_environment = merge(local.runtime_environment, local.recordings_environment, {
    SALESFORCE_LOGIN_URL   = var.salesforce_login_url
    SALESFORCE_CLIENT_ID   = var.salesforce_client_id
    SALESFORCE_USERNAME    = var.salesforce_username
    SALESFORCE_API_VERSION = var.salesforce_api_version
    NODE_OPTIONS           = local.recording_worker_node_options
  })

  # The front door, and a young generation large enough that the 64 KB chunks of a part die in it.
  # With the default (16 MB), chunks in flight outlive two scavenges, and the memory they hold
  # outside the heap starts a full collection of the whole heap every 10 to 20 MB sent: 16 of them
  # in a 200 MB recording instead of 2, and some 15 % more CPU per part (bench/recordings.ts). The
  # flag is RECORDING_WORKER_NODE_OPTIONS in scripts/stack/recordings.ts, which the benchmark's
  # worker runs with.
  recording_worker_node_options = "--max-semi-space-size=64 ${local.front_door_node_options}"
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
    # A recording.available event becomes a plan task on the recordings queue.
    google_cloud_tasks_queue_iam_member.recording_task_creators,
    google_service_account_iam_member.recording_task_creators,
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

    # No signing secret: this entry point checks no signature, and its account may not read it. The
    # recordings and live chat settings, because it ingests the same events as platformEvents,
    # recording.available and session.assigned among them.
    environment_variables = local.platform_events_pubsub_environment
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
    google_cloud_tasks_queue_iam_member.recording_task_creators,
    google_service_account_iam_member.recording_task_creators,
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

    # The keys the CRM presents to download a waiting recording (REC-4): the current one and the
    # previous one, so that a key can be rotated without refusing a download (README.md, "Secrets").
    secret_environment_variables {
      key        = "CRM_DOWNLOAD_KEY"
      project_id = var.project_id
      secret     = google_secret_manager_secret.crm_download_key.secret_id
      version    = "latest"
    }

    secret_environment_variables {
      key        = "CRM_DOWNLOAD_KEY_PREVIOUS"
      project_id = var.project_id
      secret     = google_secret_manager_secret.crm_download_key_previous.secret_id
      version    = "latest"
    }

    # The key tones' preview URLs are signed with (NOT-4).
    secret_environment_variables {
      key        = "NOTIFICATION_TONE_PREVIEW_KEY"
      project_id = var.project_id
      secret     = google_secret_manager_secret.notification_tone_preview_key.secret_id
      version    = "latest"
    }
  }

  depends_on = [
    google_project_service.required["cloudfunctions.googleapis.com"],
    google_project_service.required["run.googleapis.com"],
    google_project_service.required["cloudbuild.googleapis.com"],
    google_project_service.required["artifactregistry.googleapis.com"],
    google_project_iam_member.function_build,
    google_project_iam_member.api_runtime,
    google_pubsub_topic_iam_member.api_commands_publisher,
    google_storage_bucket_iam_member.recordings_readers,
    # Cloud Run checks at deploy time that the runtime account can read the secrets.
    google_secret_manager_secret_iam_member.api_crm_download_key,
    google_secret_manager_secret_iam_member.api_crm_download_key_previous,
    google_secret_manager_secret_iam_member.api_notification_tone_preview_key,
  ]
}

resource "google_cloudfunctions2_function" "recording_ready" {
  name        = "recording-ready"
  location    = var.region
  description = "Plans the upload of each recording written to the recordings bucket (Storage object finalized)."

  build_config {
    runtime         = local.function_runtime
    entry_point     = "recordingReady"
    service_account = google_service_account.function_build.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.recording_ready_runtime.email
    # Eventarc's pushes count as internal traffic; nothing else needs to reach this service.
    ingress_settings = "ALLOW_INTERNAL_ONLY"
    # Planning reads the whole recording once, streamed, to hash its parts.
    available_memory = "512Mi"
    # The longest an event-triggered function may run.
    timeout_seconds    = 540
    min_instance_count = 0
    max_instance_count = 10

    environment_variables = local.recordings_runtime_environment
  }

  event_trigger {
    # A Cloud Storage trigger lives in its bucket's location: var.region, as the bucket (recordings.tf).
    trigger_region = var.region
    event_type     = "google.cloud.storage.object.v1.finalized"
    event_filters {
      attribute = "bucket"
      value     = google_storage_bucket.recordings.name
    }
    # A thrown error (Firestore or the queue unavailable) means "deliver again"; a repeat finds the
    # plan made and only makes sure its tasks exist.
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.recording_ready_trigger.email
  }

  depends_on = [
    google_project_service.required["cloudfunctions.googleapis.com"],
    google_project_service.required["run.googleapis.com"],
    google_project_service.required["cloudbuild.googleapis.com"],
    google_project_service.required["artifactregistry.googleapis.com"],
    google_project_service.required["eventarc.googleapis.com"],
    google_project_iam_member.function_build,
    google_project_iam_member.recording_ready_runtime,
    # Eventarc cannot create a Storage trigger before the Storage service agent may publish, and
    # its deliveries need the trigger account's eventReceiver role.
    google_project_iam_member.storage_service_agent_publisher,
    google_project_iam_member.recording_ready_trigger_event_receiver,
    google_storage_bucket_iam_member.recordings_readers,
    google_cloud_tasks_queue_iam_member.recording_task_creators,
    google_service_account_iam_member.recording_task_creators,
  ]
}

resource "google_cloudfunctions2_function" "recording_worker" {
  # Its URL is computed from this name (recordings.tf): tasks are sent there.
  name        = local.recording_worker_name
  location    = var.region
  description = "Uploads recordings to the CRM one 50 MB part per task, and deletes them (Cloud Tasks target, OIDC)."

  build_config {
    runtime         = local.function_runtime
    entry_point     = "recordingWorker"
    service_account = google_service_account.function_build.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.recording_worker_runtime.email
    # Reached by Cloud Tasks. Not public: only recording-tasks holds run.invoker on it (iam.tf), so
    # Cloud Run refuses any other caller, and the code checks the task's OIDC token again.
    ingress_settings   = "ALLOW_ALL"
    available_memory = "512Mi"
    # One upload per instance: memory then holds one streamed part at a time, whatever the queue
    # sends. The queue's 20 concurrent dispatches get 20 instances.
    max_instance_request_concurrency = 1
    min_instance_count               = 0
    max_instance_count               = 20
    # A part may take as long as a task may: Cloud Tasks' longest dispatch deadline is 30 minutes
    # (the tasks ask for it), and a request cut short before that would be retried while it still runs.
    timeout_seconds = 1800

    environment_variables = local.recording_worker_environment

    secret_environment_variables {
      key        = "SALESFORCE_PRIVATE_KEY"
      project_id = var.project_id
      secret     = google_secret_manager_secret.salesforce_private_key.secret_id
      version    = "latest"
    }
  }

  depends_on = [
    google_project_service.required["cloudfunctions.googleapis.com"],
    google_project_service.required["run.googleapis.com"],
    google_project_service.required["cloudbuild.googleapis.com"],
    google_project_service.required["artifactregistry.googleapis.com"],
    google_project_iam_member.function_build,
    google_project_iam_member.recording_worker_runtime,
    # Cloud Run checks at deploy time that the runtime account can read the secret.
    google_secret_manager_secret_iam_member.recording_worker_salesforce_private_key,
    google_storage_bucket_iam_member.recordings_admins,
    google_cloud_tasks_queue_iam_member.recording_task_creators,
    google_service_account_iam_member.recording_task_creators,
  ]
}

resource "google_cloudfunctions2_function" "sweeper" {
  name        = "sweeper"
  location    = var.region
  description = "Hourly: purges recordings at their 7-day limit, plans or purges recordings nothing planned."

  build_config {
    runtime         = local.function_runtime
    entry_point     = "sweeper"
    service_account = google_service_account.function_build.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.sweeper_runtime.email
    ingress_settings      = "ALLOW_INTERNAL_ONLY"
    # Planning a recording it finds reads it whole, streamed, as recordingReady does.
    available_memory = "512Mi"
    # The longest an event-triggered function may run. A sweep starts no new step after 5 minutes
    # (SWEEP_LIMITS in app/recordings/sweep.ts) and goes on in the next sweep from where it stopped.
    timeout_seconds    = 540
    min_instance_count = 0
    # One sweep at a time: a tick arriving while one runs is delivered again later.
    max_instance_count = 1

    environment_variables = local.recordings_runtime_environment
  }

  event_trigger {
    trigger_region = var.region
    event_type     = "google.cloud.pubsub.topic.v1.messagePublished"
    pubsub_topic   = google_pubsub_topic.sweeper_ticks.id
    # A failed sweep is tried again rather than waiting an hour for the next tick.
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.sweeper_trigger.email
  }

  depends_on = [
    google_project_service.required["cloudfunctions.googleapis.com"],
    google_project_service.required["run.googleapis.com"],
    google_project_service.required["cloudbuild.googleapis.com"],
    google_project_service.required["artifactregistry.googleapis.com"],
    google_project_service.required["eventarc.googleapis.com"],
    google_project_iam_member.function_build,
    google_project_iam_member.sweeper_runtime,
    google_storage_bucket_iam_member.recordings_admins,
    google_cloud_tasks_queue_iam_member.recording_task_creators,
    google_service_account_iam_member.recording_task_creators,
  ]
}
