"""The image-sharing workflow through openstacksdk (conn.image.*), for test/e2e/clients-sdk.test.ts.

Usage: /usr/bin/python3 sdk_workflow.py  (reads one JSON object on stdin)
  {"auth_url": "...", "region": "RegionOne",
   "owner": {"username", "password", "project_name", "project_id"}, "member": {...}, "stranger": {...},
   "extra_member": "<a project id that is nobody's>", "member_limit": 2}

Prints one JSON object: each step's result under its name. A step that raises is recorded as
{"error": {"type", "status", "message", "details"}} instead of stopping the run, so the test can
assert on the errors users see. Exit status 0 unless the script itself is broken.
"""
import json
import sys

import openstack
from openstack import exceptions


def connect(account, settings):
    return openstack.connect(
        auth_url=settings['auth_url'],
        username=account['username'],
        password=account['password'],
        project_name=account['project_name'],
        user_domain_name='Default',
        project_domain_name='Default',
        identity_api_version='3',
        region_name=settings.get('region', 'RegionOne'),
    )


def member_view(member):
    return {'member_id': member.member_id, 'image_id': member.image_id, 'status': member.status,
            'created_at': member.created_at, 'updated_at': member.updated_at}


def error_view(exc):
    return {'error': {
        'type': type(exc).__name__,
        'status': getattr(exc, 'status_code', None),
        'message': str(exc),
        'details': getattr(exc, 'details', None),
        'request_id': getattr(exc, 'request_id', None),
    }}


def main():
    settings = json.load(sys.stdin)
    owner = connect(settings['owner'], settings)
    member = connect(settings['member'], settings)
    stranger = connect(settings['stranger'], settings)
    member_id = settings['member']['project_id']
    stranger_id = settings['stranger']['project_id']
    results = {}

    def step(name, call):
        try:
            results[name] = call()
        except exceptions.SDKException as exc:
            results[name] = error_view(exc)

    def image_ids(conn, **query):
        return sorted(image.id for image in conn.image.images(**query))

    data = b'glance-share sdk workflow\n' * 64
    image = owner.image.create_image(
        name='sdk-shared', data=data, disk_format='raw', container_format='bare',
        allow_duplicates=True, wait=True)
    image = owner.image.get_image(image.id)
    results['image'] = {'id': image.id, 'status': image.status, 'checksum': image.checksum,
                        'visibility': image.visibility, 'owner': image.owner_id}
    image_id = image.id

    step('add_member', lambda: member_view(owner.image.add_member(image_id, member_id=member_id)))
    step('members_owner', lambda: [member_view(m) for m in owner.image.members(image_id)])
    step('pending_member_view', lambda: image_ids(member, visibility='shared', member_status='pending'))
    step('accepted_before', lambda: image_ids(member, visibility='shared'))
    step('get_member', lambda: member_view(member.image.get_member(member_id, image_id)))
    step('find_member', lambda: member_view(member.image.find_member(member_id, image_id)))
    step('update_member', lambda: member_view(member.image.update_member(member_id, image_id, status='accepted')))
    step('accepted_after', lambda: image_ids(member, visibility='shared'))
    step('all_member_view', lambda: image_ids(member, visibility='shared', member_status='all'))
    step('members_member', lambda: [member_view(m) for m in member.image.members(image_id)])
    step('reject', lambda: member_view(member.image.update_member(member_id, image_id, status='rejected')))
    step('pending_after_reject', lambda: image_ids(member, visibility='shared', member_status='pending'))
    step('rejected_view', lambda: image_ids(member, visibility='shared', member_status='rejected'))

    # Error paths.
    step('duplicate', lambda: member_view(owner.image.add_member(image_id, member_id=member_id)))
    step('owner_accepts', lambda: member_view(owner.image.update_member(member_id, image_id, status='accepted')))
    step('stranger_get_image', lambda: owner_view(stranger.image.get_image(image_id)))
    step('stranger_members', lambda: [member_view(m) for m in stranger.image.members(image_id)])
    step('add_second', lambda: member_view(owner.image.add_member(image_id, member_id=stranger_id)))
    step('over_limit', lambda: member_view(owner.image.add_member(image_id, member_id=settings['extra_member'])))
    private = owner.image.create_image(
        name='sdk-private', disk_format='raw', container_format='bare', visibility='private',
        allow_duplicates=True)
    step('private_visibility', lambda: owner.image.get_image(private.id).visibility)
    step('share_private', lambda: member_view(owner.image.add_member(private.id, member_id=member_id)))

    # Clean-up through the member API, then the images.
    step('remove_member', lambda: owner.image.remove_member(member_id, image_id))
    step('remove_second', lambda: owner.image.remove_member(stranger_id, image_id))
    step('members_after_remove', lambda: [member_view(m) for m in owner.image.members(image_id)])
    step('remove_again_ignored', lambda: owner.image.remove_member(member_id, image_id))
    step('remove_again_strict', lambda: owner.image.remove_member(member_id, image_id, ignore_missing=False))
    step('all_after_remove', lambda: image_ids(member, visibility='shared', member_status='all'))
    step('delete_images', lambda: [owner.image.delete_image(i, ignore_missing=False) for i in (image_id, private.id)] and None)
    step('get_deleted', lambda: owner.image.get_image(image_id).id)

    json.dump(results, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write('\n')


def owner_view(image):
    return {'id': image.id, 'owner': image.owner_id}


if __name__ == '__main__':
    main()
