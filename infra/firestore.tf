resource "google_firestore_database" "main" {
  name        = var.firestore_database_id
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"

  # Session history lives here: neither a console click nor `terraform destroy` may delete it.
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"

  depends_on = [google_project_service.required["firestore.googleapis.com"]]
}

# People (users/) and roles (roles/): a database of its own, because Firestore's IAM grants a role on a
# whole database, never on a collection. Only the api's identity may read or write it (iam.tf): the
# public platform function cannot rewrite anyone's roles.
resource "google_firestore_database" "directory" {
  name        = var.firestore_directory_database_id
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"

  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"

  depends_on = [google_project_service.required["firestore.googleapis.com"]]
}

# The same firestore.rules file the emulators and the rules tests use, so what is tested is what
# is deployed.
resource "google_firebaserules_ruleset" "firestore" {
  project = var.project_id

  source {
    files {
      name    = "firestore.rules"
      content = file("${path.module}/../firestore.rules")
    }
  }

  depends_on = [
    google_project_service.required["firebaserules.googleapis.com"],
    google_firestore_database.main,
  ]
}

resource "google_firebaserules_release" "firestore" {
  project = var.project_id
  # Rules of the default database are released as "cloud.firestore", of a named one with its name.
  name = (
    var.firestore_database_id == "(default)"
    ? "cloud.firestore"
    : "cloud.firestore/${var.firestore_database_id}"
  )
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"

  # A change to the rules is a new ruleset; the release must follow it.
  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }
}

# The same rules on the directory: default deny, and users/ and roles/ closed to every client.
resource "google_firebaserules_release" "firestore_directory" {
  project      = var.project_id
  name         = "cloud.firestore/${google_firestore_database.directory.name}"
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"

  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }
}

locals {
  # The collections that live in the directory database; their indexes are created there.
  directory_collections = ["users", "roles"]

  # firestore.indexes.json stays the one list of indexes, in the Firebase CLI's format, so that the
  # emulators and production agree.
  firestore_indexes = jsondecode(file("${path.module}/../firestore.indexes.json")).indexes

  # Keyed by the whole definition (an index cannot be changed in place, only replaced), so that
  # adding or removing one index leaves the others alone. An empty list gives an empty map.
  firestore_indexes_by_key = {
    for entry in local.firestore_indexes :
    join(" ", concat(
      [entry.collectionGroup, try(entry.queryScope, "COLLECTION")],
      [for field in entry.fields : "${field.fieldPath}:${try(field.order, field.arrayConfig)}"],
    )) => entry
  }
}

resource "google_firestore_index" "composite" {
  for_each = local.firestore_indexes_by_key

  project     = var.project_id
  database = (
    contains(local.directory_collections, each.value.collectionGroup)
    ? google_firestore_database.directory.name
    : google_firestore_database.main.name
  )
  collection  = each.value.collectionGroup
  query_scope = try(each.value.queryScope, "COLLECTION")

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)
    }
  }
}

# Field overrides (single-field index exemptions, TTL) are not deployed from here yet: say so at plan
# time rather than ignore them silently.
check "firestore_field_overrides_not_deployed" {
  assert {
    condition     = length(try(jsondecode(file("${path.module}/../firestore.indexes.json")).fieldOverrides, [])) == 0
    error_message = "firestore.indexes.json has fieldOverrides, which infra/ does not deploy yet (google_firestore_field)."
  }
}

# Signed platform requests already acted on (the replay guard, see docs/signatures.md): Firestore deletes each
# document once its `expiresAt` has passed, when the signature could no longer pass the skew check.
# Deletion may run a day late, never early; a late one only costs storage.
resource "google_firestore_field" "signed_requests_ttl" {
  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = "signedRequests"
  field      = "expiresAt"

  ttl_config {}

  # Only the TTL policy reads the field: no single-field index on it.
  index_config {}
}
