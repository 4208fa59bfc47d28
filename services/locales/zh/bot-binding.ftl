# Binding hardening (issue 17 item 4): the roster's phone as a second factor, the unit told of
# every binding, and a review when someone else holds the binding.

bnd-ask-phone = 为确认是您本人，请点击下方“📱 发送本机手机号”按钮，发送您在 Telegram 绑定的手机号。该号码将与单位登记的手机号核对，不会显示或保存明文。
bnd-btn-share-phone = 📱 发送本机手机号
bnd-phone-other = 如手机号已更换，请联系单位更新人员名单中的手机号后再绑定。
bnd-phone-taken = 该身份已绑定在另一个账号上。发送与单位登记一致的手机号即可转到本账号；也可以申请单位审核。
bnd-phone-use-button = 请使用下方的“📱 发送本机手机号”按钮（手动输入的号码无法核实）。
bnd-phone-not-own = 只能发送您本人的手机号（请使用“📱 发送本机手机号”按钮，不要转发他人的名片）。
bnd-phone-mismatch = 该手机号与单位登记的不一致，未能绑定。如手机号已更换，请联系单位更新人员名单。
bnd-moved-by-phone = 手机号核对一致：{ $name }（{ $masked }）已转到本账号，原账号的绑定已解除并已通知。
bnd-person-taken = 身份证号 { $masked } 已绑定在另一个账号上。如果那不是您本人的账号，可以申请由所在单位（或管理员）审核，审核通过后绑定将转到本账号。
bnd-btn-ask-review = 申请审核绑定
bnd-dispute-opened = 已提交审核申请（{ $masked }），单位审核人员处理后会通知您。
bnd-dispute-pending = 您已提交过审核申请（{ $masked }），请等待处理结果。
bnd-dispute-nobody = 已记录您的申请（{ $masked }），但目前没有可处理的审核人员。请联系服务中心：{ $phone }，{ $email }。

# to the unit's reviewers
bnd-told-bound = 绑定提醒：本单位人员 { $name }（{ $masked }）于 { $at } 绑定了聊天账号（身份证号和姓名核对一致）。如果不是本人操作，请联系本人核实。
bnd-told-bound-unconfirmed = 绑定提醒：{ $name }（{ $masked }）不在本单位人员名单中，于 { $at } 自行选择本单位并绑定了聊天账号，请在审验中确认是否为本单位人员。
bnd-told-bound-phone = 绑定提醒：本单位人员 { $name }（{ $masked }）于 { $at } 绑定了聊天账号（已核对单位登记的手机号）。
bnd-dispute-ask = 绑定审核申请：有人以 { $name }（{ $masked }）的身份证号和姓名申请绑定（{ $at }），但该身份已绑定在另一个账号上。请核实后选择：转给申请人，或保持现有绑定。
bnd-btn-move = 转给申请人
bnd-btn-keep = 保持现有绑定
bnd-decided-moved = 已将 { $name }（{ $masked }）的绑定转给申请人，双方均已收到通知。
bnd-decided-kept = 已保持 { $name }（{ $masked }）的现有绑定，申请人已收到通知。
bnd-already-moved = 该申请已处理：绑定已转给申请人。
bnd-already-kept = 该申请已处理：保持了现有绑定。
bnd-refused-not_found = 该申请不存在或已失效。
bnd-refused-not_allowed = 您没有处理该申请的权限（仅限该人员所在单位的审核人员或管理员）。
bnd-refused-claimant_bound = 申请人的账号已绑定了其他人员，无法转移。

# to the two accounts
bnd-told-moved-away = 您的账号与身份证号 { $masked } 的绑定已解除：经单位审核或手机号核对，该身份已转到本人的账号。如有疑问请联系服务中心：0771-966111。
bnd-told-dispute-moved = 审核通过：身份证号 { $masked } 的绑定已转到您的账号，发送 /menu 即可使用。
bnd-told-dispute-kept = 审核结果：身份证号 { $masked } 保持现有绑定。如有疑问请联系所在单位或服务中心：0771-966111。
