# Binding hardening (issue 17 item 4): the roster's phone as a second factor, the unit told of
# every binding, and a review when someone else holds the binding.

bnd-ask-phone = To confirm it is you, tap "📱 Send my phone number" below to send the number of your Telegram account. It is checked against the number your unit registered; it is neither shown nor stored in the clear.
bnd-btn-share-phone = 📱 Send my phone number
bnd-phone-other = If your number has changed, ask your unit to update it in the staff list, then bind again.
bnd-phone-taken = This identity is bound to another account. Send the number your unit registered to move it to this account, or ask for a review by your unit.
bnd-phone-use-button = Please use the "📱 Send my phone number" button below (a typed number cannot be verified).
bnd-phone-not-own = Only your own number can be sent (use the "📱 Send my phone number" button; do not forward someone else's contact).
bnd-phone-mismatch = This number does not match the one your unit registered; nothing was bound. If your number has changed, ask your unit to update the staff list.
bnd-moved-by-phone = The phone number matches: { $name } ({ $masked }) is now bound to this account; the other account was unbound and told.
bnd-person-taken = ID number { $masked } is bound to another account. If that account is not yours, you can ask your unit (or an administrator) to review the binding; if they agree, it moves to this account.
bnd-btn-ask-review = Ask for a review
bnd-dispute-opened = Your request ({ $masked }) was sent; you will be told once your unit has decided.
bnd-dispute-pending = You have already asked for a review ({ $masked }); please wait for the decision.
bnd-dispute-nobody = Your request ({ $masked }) is recorded, but nobody can review it at the moment. Please contact the service centre: { $phone }, { $email }.

# to the unit's reviewers
bnd-told-bound = Binding notice: { $name } ({ $masked }) of your unit bound a chat account at { $at } (ID number and name matched). If it was not them, please check with them.
bnd-told-bound-unconfirmed = Binding notice: { $name } ({ $masked }), not in your unit's staff list, chose your unit and bound a chat account at { $at }; please confirm in the review whether they belong to your unit.
bnd-told-bound-phone = Binding notice: { $name } ({ $masked }) of your unit bound a chat account at { $at } (the phone number your unit registered matched).
bnd-dispute-ask = Binding review: someone with the ID number and name of { $name } ({ $masked }) asked to bind at { $at }, but this identity is bound to another account. Please check, then move the binding to them or keep it.
bnd-btn-move = Move to the requester
bnd-btn-keep = Keep the binding
bnd-decided-moved = The binding of { $name } ({ $masked }) was moved to the requester; both were told.
bnd-decided-kept = The binding of { $name } ({ $masked }) was kept; the requester was told.
bnd-already-moved = This request was already decided: the binding was moved to the requester.
bnd-already-kept = This request was already decided: the binding was kept.
bnd-refused-not_found = This request does not exist or is no longer valid.
bnd-refused-not_allowed = You cannot decide this request (only reviewers of the person's unit or administrators can).
bnd-refused-claimant_bound = The requester's account is now bound to someone else; the binding cannot be moved.

# to the two accounts
bnd-told-moved-away = Your account is no longer bound to ID number { $masked }: after a review by the unit or a phone check, it was moved to the person's own account. Questions: service centre 0771-966111.
bnd-told-dispute-moved = Review approved: ID number { $masked } is now bound to your account; send /menu to start.
bnd-told-dispute-kept = Review decided: ID number { $masked } stays bound as it is. Questions: your unit or the service centre, 0771-966111.
