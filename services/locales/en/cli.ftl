## Command line (cebot): messages for administrators and organisers

cli-error = Error: { $message }
cli-internal-error = Internal error ({ $kind }). Run again with CEBOT_DEBUG=1 to see details.
cli-db-upgraded = The database is at the newest version ({ $revision }).
cli-db-current = Database version: { $current }; newest: { $head }.
cli-db-not-migrated = The database is not up to date (at { $current }, newest { $head }). Run first: cebot db upgrade
cli-db-unreachable = Cannot connect to the database { $url }: { $kind }
cli-import-done = Imported { $file }: { $rows } rows, { $added } added, { $updated } updated, { $unchanged } unchanged, { $people } people created.
cli-import-rejected = { $file } has { $count } bad rows; nothing was imported:
cli-import-row = line { $line }: { $reason }
cli-import-file = Cannot read { $file }: { $reason }
cli-demo-done = Demo data ready: { $units } units, { $people } people, { $hours } hour records ({ $added } added now).
cli-progress-not-found = No person with that ID number.
cli-progress-no-policy = There is no policy file for { $year }.
cli-progress-title = { $name } ({ $masked }), { $year }
cli-progress-line = { $label }: { $value }
cli-progress-complete = This year's requirement is complete
cli-progress-incomplete = Incomplete: { $needed } more verified professional hours needed
cli-no-token =
    No Telegram bot token is set yet, so the console chat opens on the demo data.
    To connect to Telegram, get a token from @BotFather and put it in .env in the project folder:
        TELEGRAM_BOT_TOKEN=123456:ABC...
    then run the same command again. Every setting is described in .env.example.
cli-web-pages = Web pages (certificate verification, privacy notice): { $url }
cli-port-in-use = the port is used by another program
cli-web-unavailable = The web pages cannot be served at { $address } ({ $reason }), so certificate QR codes and the privacy notice link will not open for now; set another CEBOT_LISTEN_PORT in .env.
cli-port-busy = The web pages cannot be served at { $address } ({ $reason }): set another CEBOT_LISTEN_PORT in .env, or stop the program using that port.

import-bad-empty = required value missing ({ $columns })
import-bad-id-length = an ID number has 18 characters
import-bad-id-format = the ID number is malformed
import-bad-id-checksum = the ID number's check digit is wrong
import-bad-id-birth_date = the birth date in the ID number is not valid
import-bad-id-region = the region code in the ID number is not valid
import-bad-unit-length = a unit code has 18 characters
import-bad-unit-format = the unit code has invalid characters
import-bad-unit-checksum = the unit code's check character is wrong
import-bad-unknown-unit = unit { $code } is not registered; import the units first
import-bad-duplicate = repeats line { $other }
import-bad-name-mismatch = the name differs from the name on record for this ID number
import-bad-phone = the phone number is not a mainland mobile number (11 digits starting with 1)
import-bad-name-differs = the name differs from line { $other } for the same ID number
import-bad-subject = subject "{ $value }" is not valid (professional, public_mandatory or public_elective)
import-bad-year = there is no policy for year "{ $value }"
import-bad-hours-format = hours "{ $value }" is not a number
import-bad-hours-not_half = hours "{ $value }" must be a multiple of 0.5
import-bad-hours-non_positive = hours must be more than 0
import-bad-date = completion date "{ $value }" is not valid (use YYYY-MM-DD)
import-bad-outside_year = the completion date is not in { $year } (no registering across years)
import-bad-above_max = more than the { $max } hours one record may carry
import-bad-public_hours = public-subject rows carry exactly { $expected } hours
import-bad-source = name the source of the hours with --source
import-bad-source-text = the source's name has at most { $max } characters and no control characters
import-bad-text-control = { $column } holds a character that is not allowed ({ $char }, a control or direction character); remove it and try again
import-bad-text-too_long = { $column } is longer than { $max } characters
import-bad-text-formula = { $column } may not start with = + - @ (a spreadsheet would run it as a formula)
cli-import-more = …and { $count } more bad rows (correct the ones above first)
cli-import-raced = another import of this file ran first, so nothing of this one was written; run it again (rows already imported are not counted twice).

table-encoding = unknown text encoding (use UTF-8 or GB18030)
table-unreadable = the file cannot be read or is damaged
table-file_type = unsupported file type { $suffix } (use .csv or .xlsx)
table-missing_file = no such file: { $path }
table-empty = the file is empty
table-missing_columns = missing columns: { $columns }
table-inflated = the file inflates to { $mb } MB, more than the { $max_mb } MB allowed (damaged, or far beyond the row limit); split it and import the parts
table-too_many_rows = the file has more than the { $max } rows allowed; split it and import the parts
table-too_many_columns = the sheet has more than { $max } columns; it is not an import sheet
table-cell_too_long = line { $line } has a cell longer than { $max } characters; check that line
table-json_depth = the JSON is nested too deeply to be read
table-timeout = reading took more than { $seconds } seconds; split the file and import the parts

progress-public-mandatory = Public mandatory hours
progress-public-elective = Public elective hours
progress-professional-verified = Professional hours, verified
progress-professional-pending = Professional hours, pending review
progress-total = Total hours

cli-invite-role = The role is reviewer, organiser or admin.
cli-invite-unknown-unit = Unit { $code } is not registered.
cli-invite-needs = A { $role } invitation needs --unit (reviewers) or --source (organisers).
cli-invite-done = { $role } invitation (works once, until { $expires }): { $link }

## Policies

cli-policy-none = There is no yearly policy file yet.
cli-policy-line = { $year }: { $state } ({ $file })
cli-policy-active = active
cli-policy-draft = draft
cli-policy-demo = demo (generated, not a real notice)
cli-policy-None = unreadable
cli-policy-drafted = Drafted the { $year } policy: { $file }
    Fill in the theme, source and dates from the new notice, import the course and questions, then run: cebot policy check { $year }
cli-policy-problems = The { $year } policy cannot be activated yet; fix these first:
cli-policy-ok = The { $year } policy passes every check (now: { $state }).
cli-policy-activated = The { $year } policy is now active.
cli-policy-exists = A policy file for { $year } already exists; it is not overwritten.
cli-policy-no_source = There is no earlier policy to copy; name one with --from.
cli-policy-not_found = No policy file for { $year } was found.
cli-policy-already_active = The { $year } policy is already active.
cli-policy-invalid = The { $year } policy cannot be activated yet:
cli-policy-bad_year = The year must lie between 2000 and 2100.
cli-keys-no-previous = Put the old key in CEBOT_PREVIOUS_SECRET_KEYS and the new one in CEBOT_SECRET_KEY, then run this again.
cli-keys-rotated = Key rotation done: { $people } people, { $changed } re-encrypted. Once checked, CEBOT_PREVIOUS_SECRET_KEYS can be removed.

## Doctor

cli-doctor-token-ok = TELEGRAM_BOT_TOKEN is set.
cli-doctor-token-warn = TELEGRAM_BOT_TOKEN is not set: only the terminal chat (cebot chat) works. Get a token from @BotFather and put it in .env.
cli-doctor-secret-ok = CEBOT_SECRET_KEY is set.
cli-doctor-secret-warn = CEBOT_SECRET_KEY is not set; the generated { $path } is used: back it up, without it the stored ID numbers cannot be decrypted.
cli-doctor-secret-fail = A PostgreSQL deployment must set CEBOT_SECRET_KEY (every process shares one key).
cli-doctor-webhook-fail = CEBOT_PUBLIC_URL is https but CEBOT_WEBHOOK_SECRET is not set: set it to a random string.
cli-doctor-webhook-ok = CEBOT_WEBHOOK_SECRET is set and Telegram accepts its characters.
cli-doctor-webhook-chars-fail = CEBOT_WEBHOOK_SECRET must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram refuses any other and the webhook is never registered). Make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'
cli-doctor-secret-weak-fail = CEBOT_SECRET_KEY is too weak (about { $bits } bits; at least { $need } are needed, 32 random bytes). Make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))' (changing it later needs cebot keys rotate).
cli-doctor-publicurl-ok = CEBOT_PUBLIC_URL is https: { $url }
cli-doctor-publicurl-warn = CEBOT_PUBLIC_URL is { $url }: plain http on this machine is fine for a trial, but certificate links do not open on phones and Telegram cannot deliver a webhook. Use https:// in production.
cli-doctor-publicurl-fail = CEBOT_PUBLIC_URL must start with https:// (it is { $url }): Telegram delivers webhooks only over https and certificate QR codes point there. http:// is accepted only for localhost trials.
cli-doctor-migration-warn = The database is at { $current }, newer than this code's { $head } (a later release migrated it): update this installation (git pull, bin/setup).
cli-doctor-datadir-ok = The data directory is writable: { $path }
cli-doctor-datadir-fail = The data directory { $path } is not writable ({ $error }): check its permissions or CEBOT_DATA_DIR.
cli-doctor-database-ok = The database answers.
cli-doctor-database-fail = The database cannot be reached ({ $error }): check CEBOT_DATABASE_URL and the database server.
cli-doctor-migration-ok = The database is at the latest migration ({ $current }).
cli-doctor-migration-fail = The database is at { $current } but the code needs { $head }: run cebot db upgrade.
cli-doctor-policy-ok = The { $year } policy is active.
cli-doctor-policy-demo-ok = { $year } runs on a demo policy (generated, not a real notice).
cli-doctor-policy-warn = The { $year } policy is not active yet: the bot shows last year's rules. When the notice is out, run cebot policy new { $year }.
cli-doctor-policy-load-fail = The policy files do not load ({ $error }): run cebot policy list.
cli-doctor-fonts-ok = A Chinese font is installed.
cli-doctor-fonts-fail = No Chinese font found: install fonts-noto-cjk (apt install fonts-noto-cjk), or certificates cannot show Chinese.
cli-doctor-harfbuzz-ok = libharfbuzz-subset is installed (about 0.3 s per certificate).
cli-doctor-harfbuzz-fail = libharfbuzz-subset is missing: each certificate takes about 26 s. Install it: apt install libharfbuzz-subset0.
cli-doctor-botapi-ok = The Bot API answers; the bot is @{ $username }.
cli-doctor-botapi-warn = No token: the Bot API check is skipped.
cli-doctor-botapi-fail = The Bot API cannot be reached ({ $error }): check the token, TELEGRAM_BASE_URL and the network.
cli-doctor-summary = Done: { $failed } to fix, { $warned } warnings.
cli-backup-done = Backup written: { $path } ({ $size }).
cli-backup-data = Data directory archived: { $path }
cli-backup-key-apart = CEBOT_SECRET_KEY is not set: the key file { $path } is NOT in the backup (whoever holds a backup must not also hold the key to the ID numbers). Keep one copy of it somewhere safe, apart from the backups: without it a restored database cannot be read.
cli-backup-pruned = Removed { $count } file(s) of older backups (the newest { $keep } are kept).
cli-backup-no-pg-dump = { $tool } is not installed (PostgreSQL backups use it): apt install postgresql-client, of the server's major version or newer.
cli-backup-tool-failed = { $tool } failed: { $error }
cli-backup-not-written = The backup could not be written to { $folder } ({ $error }); earlier backups are untouched. Free some space or choose another folder with --to.
cli-backup-not-empty = The database { $url } is not empty: a backup is restored only into a new, empty database (createdb …, or a new SQLite file in CEBOT_DATABASE_URL). Nothing was changed.
cli-backup-wrong-kind = { $file } is a { $kind } backup, but CEBOT_DATABASE_URL ({ $url }) is another kind of database.
cli-backup-not-a-backup = { $file } is not a cebot backup (cebot-….sqlite3 or cebot-….dump).
cli-backup-missing = No such file: { $file }
cli-restore-confirm = Restore { $file } into { $url }?
cli-restore-done = Restored; the database is at migration { $revision }. Next: unpack the data archive into CEBOT_DATA_DIR (tar -xzf …-data.tar.gz -C <dir>), put back the secret key, run cebot doctor.
cli-restore-old = Restored; the database is at migration { $revision }, older than this code: run cebot db upgrade, unpack the data archive into CEBOT_DATA_DIR, put back the secret key, run cebot doctor.
cli-demo-synthetic = Synthetic province added: { $units } units, { $people } people ({ $accounts } chat accounts), { $records } hour records.
