# WeChat service account: the custom menu (bot/wechat/menu.py), `cebot wechat` (cebot/cli_wechat.py)
# and the WeChat checks of `cebot doctor` (cebot/doctor_wechat.py)
wechat-menu-study = Hours
wechat-menu-mine = Me
wechat-menu-help = Help
wechat-menu-cmd-study = Public subjects
wechat-menu-cmd-mydata = My data
wechat-menu-cmd-exam = Mandatory exam

cli-wechat-not-configured = WECHAT_APP_ID is not set: no WeChat service account is configured (see .env.example).
cli-wechat-api-error = WeChat answered with error { $errcode }: { $errmsg }
cli-wechat-unreachable = Cannot reach the WeChat API ({ $error }): check WECHAT_API_BASE_URL and the network.
cli-wechat-menu-too-large = The menu is over WeChat's limits: { $problem }
cli-wechat-menu-pushed = The account's menu is updated: { $buttons } buttons, { $items } entries. WeChat clients may take a few minutes to show it.
cli-wechat-token-none = No access token is stored for { $app_id } yet: the bot fetches one at its first WeChat call.
cli-wechat-token-valid = The access token of { $app_id } is valid until { $expires } (Beijing time), { $minutes } minutes from now; it is renewed 5 minutes before.
cli-wechat-token-expired = The access token of { $app_id } expired at { $expires } (Beijing time): the next WeChat call fetches a new one.
cli-wechat-token-refreshing = Worker { $worker } is fetching a new access token.

cli-doctor-wechat-appid-ok = WECHAT_APP_ID is set: { $app_id }
cli-doctor-wechat-appid-warn = WECHAT_APP_ID ({ $app_id }) does not look like an official account's AppID (wx and 16 hexadecimal characters): check it under Settings and development → Basic configuration.
cli-doctor-wechat-secret-ok = WECHAT_APP_SECRET is set.
cli-doctor-wechat-secret-warn = WECHAT_APP_SECRET is not 32 letters and digits: check the AppSecret under Basic configuration.
cli-doctor-wechat-secret-fail = WECHAT_APP_ID is set but WECHAT_APP_SECRET is not: copy the AppSecret from Basic configuration.
cli-doctor-wechat-token-ok = WECHAT_TOKEN is set and is what WeChat accepts.
cli-doctor-wechat-token-fail = WECHAT_TOKEN must be 3 to 32 letters or digits (the Token of the server configuration), or messages cannot be checked as coming from WeChat.
cli-doctor-wechat-aeskey-ok = WECHAT_ENCODING_AES_KEY is set (43 characters).
cli-doctor-wechat-aeskey-fail = WECHAT_ENCODING_AES_KEY must be 43 letters and digits (the EncodingAESKey of the server configuration); this one cannot be used.
cli-doctor-wechat-aeskey-missing-fail = The message mode is { $mode }, which needs WECHAT_ENCODING_AES_KEY: copy the EncodingAESKey from the server configuration.
cli-doctor-wechat-mode-ok = Message mode: { $mode }.
cli-doctor-wechat-mode-warn = The message mode is plain: ID numbers users send reach this server unencrypted. Prefer safe mode (WECHAT_MESSAGE_MODE=safe, and the same on the platform).
cli-doctor-wechat-mode-fail = WECHAT_MESSAGE_MODE must be plain, compatible or safe (it is { $mode }).
cli-doctor-wechat-originalid-ok = The account's original ID: { $original_id }
cli-doctor-wechat-originalid-warn = WECHAT_ORIGINAL_ID is not set: put the account's original ID there (gh_…, under Settings and development → Account settings), to check that messages are for this account.
cli-doctor-wechat-originalid-fail = WECHAT_ORIGINAL_ID ({ $original_id }) is malformed: it is gh_ and 12 hexadecimal characters.
cli-doctor-wechat-url-ok = The server URL for the account's server configuration: { $url }
cli-doctor-wechat-url-warn = The server URL { $url } is on this machine: WeChat cannot reach it (fine for the fake, for a trial). For a deployment set CEBOT_PUBLIC_URL to a public address.
cli-doctor-wechat-url-fail = The server URL { $url } cannot be used: WeChat posts only to port 80 (http) or 443 (https). Change CEBOT_PUBLIC_URL.
cli-doctor-wechat-templates-fail = WECHAT_TEMPLATES is wrong: { $reason } (see .env.example for the format).
cli-doctor-wechat-api-ok = The WeChat API is reachable and the access token works ({ $ips } WeChat server IPs).
cli-doctor-wechat-api-fail = The WeChat API check failed ({ $error }): check the AppID, AppSecret, the platform's IP whitelist and WECHAT_API_BASE_URL.
